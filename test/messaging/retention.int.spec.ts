import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createMemoryStore, ErrorCodes, isFactumError, type StoredEvent } from 'factum';
import {
  type Broker,
  consume,
  eventLogSource,
  type Inbox,
  type MessageHandler,
  memoryInbox,
  sqliteInbox,
  sqliteOutbox,
  startRelay,
} from 'factum/messaging';
import { createSqliteStore, migrate } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';
import { recordingBroker } from '../support/recording-broker.js';
import { readPage } from '../support/relay-pages.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-retention-');
let files = 0;
const DAY = 86_400_000;

/** A fresh, migrated SQLite file. */
function database(): Database.Database {
  const db = new Database(join(dir, `retention-${++files}.db`));
  migrate(db);
  return db;
}

function enqueue(db: Database.Database, outbox: ReturnType<typeof sqliteOutbox>, streams: string[]) {
  db.transaction(() => {
    for (const streamId of streams) outbox.enqueue(db, { streamId, type: 'Touched', data: {} });
  })();
}

/** Publishes every unpublished row (what a relay does after the broker confirmed). */
async function publishAll(outbox: ReturnType<typeof sqliteOutbox>) {
  const batch = await readPage(outbox.source(), 100_000);
  await batch.commit();
  return batch.events;
}

function rows(db: Database.Database) {
  return db
    .prepare(
      'SELECT stream_id AS streamId, version, published_at AS publishedAt FROM factum_outbox ORDER BY position',
    )
    .all() as { streamId: string; version: number; publishedAt: number | null }[];
}

/** Makes the published rows of the first `n` positions look published `ageMs` ago. */
function age(db: Database.Database, table: 'outbox' | 'inbox', ageMs: number, where = '1 = 1') {
  if (table === 'outbox') {
    db.prepare(
      `UPDATE factum_outbox SET published_at = ?, recorded_at = ? WHERE published_at IS NOT NULL AND ${where}`,
    ).run(Date.now() - ageMs, Date.now() - ageMs - 1000);
  } else {
    db.prepare(`UPDATE factum_inbox SET processed_at = ? WHERE ${where}`).run(Date.now() - ageMs);
  }
}

async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectInvalid(error: unknown, field: string) {
  expect(isFactumError(error, ErrorCodes.INVALID_ARGUMENT)).toBe(true);
  expect((error as { field?: string }).field).toBe(field);
}

describe('outbox prune (SQLite file)', () => {
  it('deletes only rows published before the cutoff: never unpublished ones, never a stream’s newest row', async () => {
    const db = database();
    const outbox = sqliteOutbox(db);
    // a-1..a-3, b-1..b-3 published long ago; c-1 published long ago (c's only row); a-4 recently.
    enqueue(db, outbox, ['a', 'a', 'a', 'b', 'b', 'b', 'c']);
    await publishAll(outbox);
    age(db, 'outbox', 10 * DAY);
    enqueue(db, outbox, ['a']);
    await publishAll(outbox);
    age(db, 'outbox', 1 * DAY, "stream_id = 'a' AND version = 4");
    // b-4 and d-1 are not published at all (b-4 carries b's version, so b-3 may go).
    enqueue(db, outbox, ['b', 'd', 'd']);
    db.prepare("UPDATE factum_outbox SET recorded_at = ? WHERE stream_id = 'd'").run(Date.now() - 30 * DAY);

    expect(await outbox.prune({ olderThan: 7 * DAY })).toBe(6);
    expect(
      rows(db).map((r) => `${r.streamId}-${r.version}${r.publishedAt === null ? ' unpublished' : ''}`),
    ).toEqual([
      'c-1', // the newest row of c: kept so c's next message is c-2
      'a-4', // published one day ago: younger than the cutoff
      'b-4 unpublished',
      'd-1 unpublished', // recorded 30 days ago, but never published
      'd-2 unpublished',
    ]);
    // Everything published now counts as old, but unpublished rows and each stream's newest row stay.
    expect(await outbox.prune({ olderThan: new Date(Date.now() + DAY) })).toBe(0);
    // Versions go on from the newest row, not from 1.
    enqueue(db, outbox, ['a', 'c']);
    expect(rows(db).slice(-2)).toMatchObject([
      { streamId: 'a', version: 5 },
      { streamId: 'c', version: 2 },
    ]);
  });

  it('walks in batches: no transaction deletes more than batchSize rows, and the walk goes past the first batch', async () => {
    const db = database();
    let transactions = 0;
    const perTransaction: number[] = [];
    const count = () => (db.prepare('SELECT count(*) AS n FROM factum_outbox').get() as { n: number }).n;
    // A handle with a `transaction` of its own, like a SqliteEventStore: each batch is one call.
    const handle = {
      database: db,
      async transaction<T>(task: () => T): Promise<T> {
        transactions++;
        const before = count();
        const result = db.transaction(task).immediate();
        perTransaction.push(before - count());
        return result;
      },
    };
    const outbox = sqliteOutbox(handle);
    const streams = Array.from({ length: 120 }, (_, i) => `s-${i % 10}`);
    enqueue(db, outbox, streams);
    await publishAll(outbox);
    age(db, 'outbox', 10 * DAY);
    const before = transactions;
    perTransaction.length = 0;
    expect(await outbox.prune({ olderThan: 7 * DAY, batchSize: 7 })).toBe(110);
    expect(transactions - before).toBeGreaterThan(10);
    expect(Math.max(...perTransaction)).toBeLessThanOrEqual(7);
    expect(rows(db).map((r) => r.version)).toEqual(Array.from({ length: 10 }, () => 12));
  });

  it('stops the walk when the signal aborts and reports what it deleted so far', async () => {
    const db = database();
    const outbox = sqliteOutbox(db);
    enqueue(
      db,
      outbox,
      Array.from({ length: 50 }, () => 'one'),
    );
    await publishAll(outbox);
    age(db, 'outbox', 10 * DAY);
    const abort = new AbortController();
    abort.abort();
    expect(await outbox.prune({ olderThan: 7 * DAY, signal: abort.signal })).toBe(0);
    expect(rows(db)).toHaveLength(50);
  });

  it('loses nothing while a relay publishes and writers enqueue during aggressive pruning', async () => {
    const db = database();
    const writer = new Database(db.name);
    const outbox = sqliteOutbox(db);
    const writerOutbox = sqliteOutbox(writer);
    const broker = recordingBroker(0, 2);
    const relay = startRelay({
      source: outbox.source(),
      broker,
      batchSize: 25,
      idleMs: 5,
      retention: false,
    });
    const total = 600;
    let pruned = 0;
    let writing = true;
    // Prune everything published so far, again and again, while messages keep coming.
    const pruner = (async () => {
      while (writing || broker.published.length < total) {
        pruned += await outbox.prune({ olderThan: new Date(Date.now() + DAY), batchSize: 16 });
        await sleep(1);
      }
    })();
    for (let i = 0; i < total; i += 20) {
      enqueue(
        writer,
        writerOutbox,
        Array.from({ length: 20 }, (_, k) => `order-${(i + k) % 13}`),
      );
      await sleep(2);
    }
    writing = false;
    await waitFor('every message is published', () => broker.published.length >= total, 20_000);
    await pruner;
    await relay.stop();
    pruned += await outbox.prune({ olderThan: new Date(Date.now() + DAY) });
    writer.close();

    // Every message exactly once, each stream's versions 1..n in order, nothing unpublished left behind.
    expect(broker.published).toHaveLength(total);
    expect(new Set(broker.published.map((e) => e.id)).size).toBe(total);
    const versions = new Map<string, number[]>();
    for (const e of broker.published)
      versions.set(e.streamId, [...(versions.get(e.streamId) ?? []), e.version]);
    for (const list of versions.values()) expect(list).toEqual(list.map((_, k) => k + 1));
    expect(rows(db).filter((r) => r.publishedAt === null)).toEqual([]);
    expect(rows(db)).toHaveLength(13);
    expect(pruned).toBe(total - 13);
  });

  it('refuses bad arguments with typed errors', async () => {
    const outbox = sqliteOutbox(database());
    expectInvalid(await caught(() => outbox.prune({ olderThan: -1 })), 'olderThan');
    expectInvalid(await caught(() => outbox.prune({ olderThan: Number.NaN })), 'olderThan');
    expectInvalid(await caught(() => outbox.prune({ olderThan: '7d' as unknown as number })), 'olderThan');
    expectInvalid(await caught(() => outbox.prune({ olderThan: new Date('nope') })), 'olderThan');
    expectInvalid(await caught(() => outbox.prune({ olderThan: DAY, batchSize: 0 })), 'batchSize');
    expectInvalid(await caught(() => outbox.prune({ olderThan: DAY, batchSize: 1.5 })), 'batchSize');
    expectInvalid(await caught(() => outbox.prune({ olderThan: DAY, batchSize: 10_001 })), 'batchSize');
    expectInvalid(await caught(() => outbox.prune(undefined as never)), 'options');
  });
});

describe('inbox prune (SQLite file)', () => {
  it('forgets records older than the window; a record inside it still deduplicates after the prune', async () => {
    const db = database();
    const inbox = sqliteInbox(db);
    const old = { id: '0190f3c2-0000-7000-8000-000000000001' };
    const recent = { id: '0190f3c2-0000-7000-8000-000000000002' };
    const other = { id: '0190f3c2-0000-7000-8000-000000000003' };
    for (const event of [old, recent])
      expect(await inbox.process('billing', event, () => {})).toBe('processed');
    expect(await inbox.process('shipping', other, () => {})).toBe('processed');
    age(db, 'inbox', 40 * DAY, `event_id = '${old.id}'`);
    age(db, 'inbox', 40 * DAY, `event_id = '${other.id}'`);
    age(db, 'inbox', 29 * DAY, `event_id = '${recent.id}'`);

    // One consumer only: shipping's old record stays.
    expect(await inbox.prune({ olderThan: 30 * DAY, consumer: 'billing' })).toBe(1);
    expect(await inbox.has('shipping', other.id)).toBe(true);
    expect(await inbox.prune({ olderThan: 30 * DAY })).toBe(1);
    expect(await inbox.has('shipping', other.id)).toBe(false);

    let applied = 0;
    expect(await inbox.process('billing', recent, () => void applied++)).toBe('duplicate');
    // The trade-off: a redelivery older than the window is processed again.
    expect(await inbox.process('billing', old, () => void applied++)).toBe('processed');
    expect(applied).toBe(1);
  });

  it('walks every consumer in batches: more records than one batch are all pruned, the young ones kept', async () => {
    const db = database();
    const inbox = sqliteInbox(db);
    for (let i = 0; i < 90; i++) {
      await inbox.process(`consumer-${i % 4}`, { id: `event-${String(i).padStart(3, '0')}` }, () => {});
    }
    age(db, 'inbox', 40 * DAY, "event_id < 'event-080'");
    expect(await inbox.prune({ olderThan: 30 * DAY, batchSize: 7 })).toBe(80);
    expect((db.prepare('SELECT count(*) AS n FROM factum_inbox').get() as { n: number }).n).toBe(10);
    age(db, 'inbox', 40 * DAY);
    // consumer-1 holds event-081, event-085 and event-089 of them.
    expect(await inbox.prune({ olderThan: 30 * DAY, batchSize: 2, consumer: 'consumer-1' })).toBe(3);
    expect(await inbox.prune({ olderThan: 30 * DAY, batchSize: 1 })).toBe(7);
  });

  it('waits for a transaction the inbox holds open while a handler awaits', async () => {
    const db = database();
    const inbox = sqliteInbox(db);
    await inbox.process('c', { id: 'e-1' }, () => {});
    age(db, 'inbox', 40 * DAY);
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const processing = inbox.process('c', { id: 'e-2' }, () => held);
    const pruning = inbox.prune({ olderThan: 30 * DAY });
    release();
    expect(await processing).toBe('processed');
    expect(await pruning).toBe(1);
    expect(await inbox.has('c', 'e-2')).toBe(true);
  });

  it('prunes a store-backed inbox through the store’s own transactions', async () => {
    const store = createSqliteStore(join(dir, `store-${++files}.db`));
    const inbox = sqliteInbox(store);
    await inbox.process('c', { id: 'e-1' }, () => {});
    age(store.database, 'inbox', 40 * DAY);
    expect(await inbox.prune({ olderThan: 30 * DAY })).toBe(1);
    await store.close();
  });

  it('refuses bad arguments with typed errors', async () => {
    const inbox = sqliteInbox(database());
    expectInvalid(await caught(() => inbox.prune({ olderThan: -5 })), 'olderThan');
    expectInvalid(await caught(() => inbox.prune({ olderThan: DAY, consumer: '' })), 'consumer');
    expectInvalid(await caught(() => inbox.prune({ olderThan: DAY, batchSize: -1 })), 'batchSize');
  });
});

describe('memory inbox prune', () => {
  it('forgets records older than the window, per consumer or all, in batches', async () => {
    let now = 1_000 * DAY;
    const inbox = memoryInbox(() => now);
    for (let i = 0; i < 25; i++) await inbox.process(`c${i % 2}`, { id: `e${i}` }, () => {});
    now += 31 * DAY;
    await inbox.process('c0', { id: 'fresh' }, () => {});
    expect(await inbox.prune({ olderThan: 30 * DAY, consumer: 'c1', batchSize: 4 })).toBe(12);
    expect(await inbox.prune({ olderThan: 30 * DAY, batchSize: 4 })).toBe(13);
    expect(await inbox.process('c0', { id: 'fresh' }, () => {})).toBe('duplicate');
    expect(await inbox.process('c0', { id: 'e0' }, () => {})).toBe('processed');
  });
});

/** A broker double whose consumers the test feeds by hand. */
function handBroker(): Broker & {
  deliver: (event: Pick<StoredEvent, 'id'>) => Promise<void>;
  stopped: number;
} {
  const base = recordingBroker();
  let handler: MessageHandler | undefined;
  const broker = {
    ...base,
    stopped: 0,
    async consume(options: { group: string }, h: MessageHandler) {
      handler = h;
      return {
        group: options.group,
        stop: async () => {
          broker.stopped++;
        },
      };
    },
    async deliver(event: Pick<StoredEvent, 'id'>) {
      const context = { group: 'g', attempt: 1, deliveryCount: 1, signal: new AbortController().signal };
      await handler!(event as StoredEvent, context);
    },
  };
  return broker;
}

describe('background retention', () => {
  it('the relay prunes its outbox while it holds the lease, and reports each run', async () => {
    const db = database();
    const outbox = sqliteOutbox(db);
    const broker = recordingBroker();
    enqueue(db, outbox, ['a', 'a', 'a', 'b', 'b']);
    const relay = startRelay({
      source: outbox.source(),
      broker,
      idleMs: 5,
      retention: { publishedMs: 0, everyMs: 20 },
    });
    const runs: number[] = [];
    relay.on('relay.pruned', (e) => runs.push(e.deleted));
    await waitFor(
      'published rows but the newest of each stream are pruned',
      () => rows(db).length === 2,
      5000,
    );
    await relay.stop();
    expect(broker.published).toHaveLength(5);
    expect(relay.status().pruned).toBe(3);
    expect(runs.length).toBeGreaterThan(0);
  });

  it('is on by default for an outbox (7 days), and keeps anything younger', async () => {
    const db = database();
    const outbox = sqliteOutbox(db);
    enqueue(db, outbox, ['a', 'a', 'a']);
    await publishAll(outbox);
    age(db, 'outbox', 8 * DAY, 'version = 1');
    age(db, 'outbox', 6 * DAY, 'version = 2');
    const relay = startRelay({
      source: outbox.source(),
      broker: recordingBroker(),
    });
    const pruned = new Promise<number>((resolve) => relay.on('relay.pruned', (e) => resolve(e.deleted)));
    expect(await pruned).toBe(1);
    await relay.stop();
    expect(rows(db).map((r) => r.version)).toEqual([2, 3]);
  });

  it('a failing prune goes to relay.prune-failed; the relay keeps publishing', async () => {
    const db = database();
    const outbox = sqliteOutbox(db);
    const source = outbox.source();
    source.prune = async () => {
      throw new Error('disk on fire');
    };
    const broker = recordingBroker();
    const relay = startRelay({
      source,
      broker,
      idleMs: 5,
      retention: { everyMs: 10 },
    });
    const failures: Error[] = [];
    relay.on('relay.prune-failed', (e) => failures.push(e.error));
    await waitFor('two failed runs', () => failures.length >= 2, 5000);
    enqueue(db, outbox, ['a']);
    await waitFor('still publishing', () => broker.published.length === 1, 5000);
    expect(relay.status().state).toBe('running');
    await relay.stop();
    expect(failures[0]!.message).toBe('disk on fire');
  });

  it('the event log cannot be pruned: asking for retention there is refused; the default leaves it alone', async () => {
    const store = createMemoryStore();
    const source = eventLogSource(store);
    const error = await caught(() =>
      startRelay({ source, broker: recordingBroker(), retention: { everyMs: 10 } }),
    );
    expectInvalid(error, 'retention');
    const relay = startRelay({ source, broker: recordingBroker() });
    await relay.stop();
    expect(relay.status().pruned).toBe(0);
    const outbox = sqliteOutbox(database());
    for (const retention of [{ everyMs: 0 }, { publishedMs: -1 }, { everyMs: 2 ** 31 }, { batchSize: 0 }]) {
      const refused = await caught(() =>
        startRelay({ source: outbox.source(), broker: recordingBroker(), retention }),
      );
      expect(isFactumError(refused, ErrorCodes.INVALID_ARGUMENT)).toBe(true);
    }
  });

  it('consume prunes its own inbox records in the background; one inside the window still deduplicates', async () => {
    const db = database();
    const inbox = sqliteInbox(db);
    const broker = handBroker();
    let applied = 0;
    const pruned: number[] = [];
    const consumer = await consume(broker, () => void applied++, {
      group: 'billing',
      inbox,
      retention: { keepMs: 30 * DAY, everyMs: 10, onPruned: (n) => pruned.push(n) },
    });
    await broker.deliver({ id: 'old' });
    await broker.deliver({ id: 'recent' });
    await inbox.process('shipping', { id: 'old' }, () => {});
    age(db, 'inbox', 40 * DAY, "event_id = 'old'");
    await waitFor('the old record is pruned', async () => !(await inbox.has('billing', 'old')), 5000);
    await broker.deliver({ id: 'recent' });
    expect(applied).toBe(2);
    // Another consumer's records are not this consumer's to prune.
    expect(await inbox.has('shipping', 'old')).toBe(true);
    await consumer.stop();
    expect(broker.stopped).toBe(1);
    expect(pruned.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('consume reports failed prunes to onError and keeps consuming; bad retention options are refused', async () => {
    const inner = memoryInbox();
    const failing: Inbox<undefined> = {
      process: (c, e, w) => inner.process(c, e, w),
      has: (c, id) => inner.has(c, id),
      prune: async () => {
        throw new Error('no space');
      },
    };
    const broker = handBroker();
    const errors: Error[] = [];
    let applied = 0;
    const consumer = await consume(broker, () => void applied++, {
      group: 'g',
      inbox: failing,
      retention: { keepMs: DAY, everyMs: 10, onError: (e) => errors.push(e) },
    });
    await waitFor('two failed runs', () => errors.length >= 2, 5000);
    await broker.deliver({ id: 'e1' });
    expect(applied).toBe(1);
    await consumer.stop();

    const noPrune: Inbox<undefined> = { process: failing.process, has: failing.has };
    expectInvalid(
      await caught(() =>
        consume(broker, () => {}, { group: 'g', inbox: noPrune, retention: { keepMs: DAY } }),
      ),
      'retention',
    );
    expectInvalid(
      await caught(() =>
        consume(broker, () => {}, { group: 'g', inbox: inner, retention: {} as { keepMs: number } }),
      ),
      'retention.keepMs',
    );
    expectInvalid(
      await caught(() =>
        consume(broker, () => {}, { group: 'g', inbox: inner, retention: { keepMs: DAY, everyMs: -1 } }),
      ),
      'retention.everyMs',
    );
  });
});
