import { join } from 'node:path';
import {
  createMemoryStore,
  ErrorCodes,
  type EventStore,
  InlineProjectionError,
  isFactumError,
  newEventId,
} from 'factum';
import { createPostgresStore } from 'factum/postgres';
import { createProjections, defineProjection, memoryProjectionStorage } from 'factum/projections';
import { createSqliteStore, type SqliteEventStore } from 'factum/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-inline-');
let n = 0;

// #region inline-projection
interface Balance {
  account: string;
  balance: number;
  movements: number;
}

const balances = defineProjection({
  name: 'balances',
  handles: ['Deposited', 'Withdrawn'],
  documents: { account_balances: { indexes: ['balance'] } },
  async handle(event, tx) {
    const { amount } = event.data as { amount: number };
    const docs = tx.documents<Balance>('account_balances');
    const current = (await docs.get(event.streamId)) ?? { account: event.streamId, balance: 0, movements: 0 };
    const balance = current.balance + (event.type === 'Deposited' ? amount : -amount);
    // Throwing here fails the append: the withdrawal is never stored.
    if (balance < 0) throw new Error(`${event.streamId} would go to ${balance}`);
    await docs.upsert(event.streamId, { ...current, balance, movements: current.movements + 1 });
  },
});
// #endregion inline-projection

const audit = defineProjection({
  name: 'audit',
  handles: ['Deposited', 'Withdrawn'],
  documents: { audit_entries: {} },
  async handle(event, tx) {
    await tx.documents('audit_entries').upsert(event.id, { stream: event.streamId, type: event.type });
  },
});

/** The behaviour every store that runs inline projections shares. */
function describeInlineProjections(open: () => Promise<EventStore>) {
  it('commits with the append: the read model is current the moment the append returns', async () => {
    const store = await open();
    // #region inline-usage
    const projections = await createProjections(store, { inline: [balances] });
    await store.append('account-1', [{ type: 'Deposited', data: { amount: 100 } }]);
    await store.append('account-1', [{ type: 'Withdrawn', data: { amount: 30 } }]);
    const balance = await projections.documents<Balance>('account_balances').get('account-1');
    // balance → { account: 'account-1', balance: 70, movements: 2 }
    // #endregion inline-usage
    expect(balance).toEqual({ account: 'account-1', balance: 70, movements: 2 });
    const [status] = await projections.status('balances');
    expect(status).toMatchObject({ mode: 'inline', behind: 0, lagMs: 0, local: undefined });
    // waitFor is immediate for inline projections.
    await projections.waitFor('balances', 2n, { timeoutMs: 1 });
  });

  it('a failing inline projection fails the append, and nothing is written: not the events, not any read model', async () => {
    const store = await open();
    const projections = await createProjections(store, { inline: [audit, balances] });
    await store.append('account-1', [{ type: 'Deposited', data: { amount: 10 } }]);
    const error = await store
      .append('account-1', [
        { type: 'Deposited', data: { amount: 5 } },
        { type: 'Withdrawn', data: { amount: 50 } },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InlineProjectionError);
    expect(isFactumError(error, ErrorCodes.INLINE_PROJECTION_FAILED)).toBe(true);
    expect(error).toMatchObject({ projection: 'balances', streamId: 'account-1' });
    expect((error as Error).message).toMatch(
      /Inline projection balances failed on Withdrawn .* \(stream: account-1\): account-1 would go to -35; the append was rolled back/,
    );
    expect(((error as Error).cause as Error).message).toBe('account-1 would go to -35');
    expect((await store.readStream('account-1')).version).toBe(1);
    expect(await projections.documents('account_balances').get('account-1')).toMatchObject({ balance: 10 });
    // The audit projection ran first and wrote two entries for the failed append: both rolled back.
    expect(await projections.documents('audit_entries').count()).toBe(1);
  });

  it('applies an idempotent retry once', async () => {
    const store = await open();
    const projections = await createProjections(store, { inline: [balances] });
    const id = newEventId();
    await store.append('account-1', [{ type: 'Deposited', data: { amount: 10 }, id }]);
    await store.append('account-1', [{ type: 'Deposited', data: { amount: 10 }, id }]);
    expect(await projections.documents('account_balances').get('account-1')).toMatchObject({
      balance: 10,
      movements: 1,
    });
  });

  it('builds a new inline projection from the existing log before it goes live', async () => {
    const store = await open();
    for (let i = 0; i < 30; i++)
      await store.append(`account-${i % 3}`, [{ type: 'Deposited', data: { amount: 1 } }]);
    const projections = await createProjections(store, { inline: [balances] });
    const docs = projections.documents<Balance>('account_balances');
    expect((await docs.find({}, { orderBy: 'account' })).map((d) => d.balance)).toEqual([10, 10, 10]);
    await store.append('account-0', [{ type: 'Deposited', data: { amount: 5 } }]);
    expect((await docs.get('account-0'))?.balance).toBe(15);
    expect((await projections.status('balances'))[0]?.generation).toBe(2);
  });

  it('rebuilds an inline projection while appends continue, losing none of them', async () => {
    const store = await open();
    const projections = await createProjections(store, { inline: [balances] });
    for (let i = 0; i < 200; i++)
      await store.append(`account-${i % 10}`, [{ type: 'Deposited', data: { amount: 1 } }]);
    let appended = 0;
    const writer = (async () => {
      for (let i = 0; i < 100; i++) {
        await store.append(`account-${i % 10}`, [{ type: 'Deposited', data: { amount: 1 } }]);
        appended++;
      }
    })();
    const result = await projections.rebuild('balances', { batchSize: 20 });
    await writer;
    expect(result.generation).toBe(2);
    const docs = await projections.documents<Balance>('account_balances').find();
    expect(docs.reduce((sum, d) => sum + d.balance, 0)).toBe(200 + appended);
    expect(docs.every((d) => d.balance === d.movements)).toBe(true);
  });

  it('the same inline projection cannot be installed twice on one store (it would apply events twice)', async () => {
    const store = await open();
    await createProjections(store, { inline: [balances] });
    await expect(createProjections(store, { inline: [balances] })).rejects.toThrow(/already installed/);
  });
}

const postgres = await probePostgres();

describe('inline projections (SQLite)', () => {
  const stores: SqliteEventStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  const open = (file = join(dir, `inline-${++n}.db`)) => {
    const store = createSqliteStore(file);
    stores.push(store);
    return store;
  };

  describeInlineProjections(async () => open());

  it('the memory store cannot run inline projections', async () => {
    const store = createMemoryStore();
    await expect(
      createProjections(store, { inline: [balances], storage: memoryProjectionStorage(store) }),
    ).rejects.toSatisfy((e) => isFactumError(e, ErrorCodes.NOT_SUPPORTED));
    await expect(createProjections(store, { async: [balances] })).rejects.toSatisfy((e) =>
      isFactumError(e, ErrorCodes.NOT_SUPPORTED),
    );
  });

  it('rebuilds an inline projection whose version changed before createProjections resolves', async () => {
    const file = join(dir, `inline-${++n}.db`);
    const first = open(file);
    await createProjections(first, { inline: [balances] });
    for (let i = 0; i < 3; i++)
      await first.append('account-1', [{ type: 'Deposited', data: { amount: 10 } }]);
    await first.close();
    // The next release counts in cents: a new version, so the read model must be built again.
    const cents = defineProjection({
      ...balances,
      version: 2,
      async handle(event, tx) {
        const { amount } = event.data as { amount: number };
        await balances.handle({ ...event, data: { amount: amount * 100 } }, tx);
      },
    });
    const projections = await createProjections(open(file), { inline: [cents] });
    expect(await projections.documents<Balance>('account_balances').get('account-1')).toMatchObject({
      balance: 3000,
      movements: 3,
    });
    expect((await projections.status('balances'))[0]).toMatchObject({
      stale: false,
      version: 2,
      generation: 2,
    });
  });

  it('inline projections hold across processes sharing the file: another store instance sees committed rows only', async () => {
    const file = join(dir, `inline-${++n}.db`);
    const writer = open(file);
    const reader = open(file);
    const projections = await createProjections(writer, { inline: [balances] });
    await writer.append('account-9', [{ type: 'Deposited', data: { amount: 7 } }]);
    await writer.append('account-9', [{ type: 'Withdrawn', data: { amount: 9 } }]).catch(() => {});
    const rows = reader.database
      .prepare("SELECT json_extract(doc, '$.balance') FROM account_balances WHERE id = 'account-9'")
      .pluck()
      .all();
    expect(rows).toEqual([7]);
    expect((await reader.readStream('account-9')).version).toBe(1);
    expect(projections.owner).toBeTypeOf('string');
  });
});

/** Counts every deposit in one document that all streams share: lost updates would show as a lower count. */
const totals = defineProjection({
  name: 'deposit_totals',
  handles: ['Deposited'],
  documents: { deposit_totals: {} },
  async handle(event, tx) {
    const { amount } = event.data as { amount: number };
    const docs = tx.documents<{ deposits: number; amount: number }>('deposit_totals');
    const current = (await docs.get('all')) ?? { deposits: 0, amount: 0 };
    await docs.upsert('all', { deposits: current.deposits + 1, amount: current.amount + amount });
  },
});

describe.skipIf(!postgres.available)('inline projections (PostgreSQL)', () => {
  const { pool, dropLater } = testPool({ max: 10 });
  const nextSchema = schemaNamer('factum_inline');
  let schema = '';
  const open = async (fresh = true) => {
    if (fresh) {
      schema = nextSchema();
      dropLater(schema);
    }
    return createPostgresStore({ pool, schema, migrate: true });
  };

  describeInlineProjections(() => open());

  it('group commit: appends written together keep their own outcome; a failing one is rolled back alone', async () => {
    const store = await open();
    // #region postgres-inline
    // The same definition as on SQLite; the PostgreSQL store runs it in each append's transaction.
    const projections = await createProjections(store, { inline: [balances] });
    // Concurrent appends to distinct streams share one transaction (group commit); the withdrawals
    // that would overdraw fail alone, the others commit with their read-model rows.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        store.append(`account-${i}`, [
          { type: 'Deposited', data: { amount: 10 } },
          { type: 'Withdrawn', data: { amount: i % 4 === 0 ? 50 : 5 } },
        ]),
      ),
    );
    // #endregion postgres-inline
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []));
    expect(failed).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36]);
    for (const i of failed) {
      expect((outcomes[i] as PromiseRejectedResult).reason).toBeInstanceOf(InlineProjectionError);
      expect((await store.readStream(`account-${i}`)).version).toBe(0);
    }
    const docs = await projections.documents<Balance>('account_balances').find({}, { orderBy: 'account' });
    expect(docs).toHaveLength(30);
    expect(docs.every((d) => d.balance === 5 && d.movements === 2)).toBe(true);
    // The log holds exactly the 30 appends that succeeded, each with contiguous positions.
    const { events } = await store.readAll({ limit: 1000 });
    expect(events).toHaveLength(60);
  });

  it('group commit: an append whose expected version does not match fails alone, with nothing of it projected', async () => {
    const store = await open();
    const projections = await createProjections(store, { inline: [balances] });
    for (let i = 0; i < 10; i += 2)
      await store.append(`account-${i}`, [{ type: 'Deposited', data: { amount: 1 } }]);
    // Even accounts exist already: 'no_stream' is wrong for them.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        store.append(`account-${i}`, [{ type: 'Deposited', data: { amount: 10 } }], {
          expectedVersion: 'no_stream',
        }),
      ),
    );
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []));
    expect(failed).toEqual([0, 2, 4, 6, 8]);
    for (const i of failed) {
      expect(isFactumError((outcomes[i] as PromiseRejectedResult).reason, ErrorCodes.CONCURRENCY)).toBe(true);
    }
    const docs = await projections.documents<Balance>('account_balances').find({}, { orderBy: 'account' });
    expect(docs.map((d) => [d.account, d.balance])).toEqual(
      Array.from({ length: 10 }, (_, i) => [`account-${i}`, i % 2 === 0 ? 1 : 10]),
    );
  });

  it('appends from several store instances (processes) never lose a read-model update', async () => {
    const a = await open();
    const b = await open(false);
    const c = await open(false);
    const projections = await createProjections(a, { inline: [totals] });
    await createProjections(b, { inline: [totals] });
    await createProjections(c, { inline: [totals] });
    const writers = [a, b, c].map((store, w) =>
      Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          store.append(`w${w}-account-${i % 12}`, [{ type: 'Deposited', data: { amount: 1 } }]),
        ),
      ),
    );
    await Promise.all(writers);
    expect(await projections.documents('deposit_totals').get('all')).toEqual({ deposits: 180, amount: 180 });
  });

  it('rebuilds while another store instance keeps appending: the swap waits for its appends, none is lost', async () => {
    const a = await open();
    const b = await open(false);
    const projections = await createProjections(a, { inline: [totals] });
    await createProjections(b, { inline: [totals] });
    for (let i = 0; i < 300; i++)
      await a.append(`account-${i % 10}`, [{ type: 'Deposited', data: { amount: 1 } }]);
    let appended = 0;
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            b.append(`b-account-${i}`, [{ type: 'Deposited', data: { amount: 1 } }]).then(() => appended++),
          ),
        );
      }
    })();
    const result = await projections.rebuild('deposit_totals', { batchSize: 25 });
    stop = true;
    await writer;
    expect(result.generation).toBe(2);
    expect(appended).toBeGreaterThan(0);
    expect(await projections.documents('deposit_totals').get('all')).toEqual({
      deposits: 300 + appended,
      amount: 300 + appended,
    });
  });
});
