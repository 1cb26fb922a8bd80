// The release 0.1 fixtures the upgrade tests start from (test/fixtures/upgrade): restored with this
// checkout's code, they hold what their manifest says, and the store appends after them.
import type { EventStore, StoredEvent } from 'factum';
import { createPostgresStore } from 'factum/postgres';
import { readDocuments } from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';
import {
  canonical,
  copySqliteFixture,
  passTransaction,
  readUpgradeManifest,
  restorePostgresFixture,
  type StoreManifest,
  shiftPosition,
} from '../support/upgrade-fixture.js';

const manifest = readUpgradeManifest();
const pgProbe = await probePostgres();

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

interface Restored {
  store: EventStore;
  manifest: StoreManifest;
  shift: bigint;
  /** Runs SQL against the restored tables; `t(name)` qualifies a table name. */
  query: Query;
  t: (table: string) => string;
  /** A SQL condition: the lease row's expiry has passed. */
  expired: string;
}

async function wholeLog(store: EventStore): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let after = 0n;
  for (;;) {
    const page = await store.readAll({ after, limit: 100 });
    if (page.events.length === 0) return events;
    events.push(...page.events);
    after = page.last;
  }
}

const sorted = (values: readonly unknown[]) => values.map(canonical).sort();

/** Every check of the manifest against one restored store. */
function describeRestored(open: () => Promise<Restored>) {
  let r: Restored;
  const at = (position: string) => shiftPosition(position, r.shift);

  beforeAll(async () => {
    r = await open();
  });
  afterAll(() => (r as Restored | undefined)?.store.close());

  it('is at the schema of release 0.1', async () => {
    const rows = await r.query(`SELECT version FROM ${r.t('factum_migrations')} ORDER BY version`);
    expect(rows.map((row) => Number(row.version))).toEqual([1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13]);
  });

  it('reads the whole log up to the head', async () => {
    const log = await wholeLog(r.store);
    expect(log).toHaveLength(r.manifest.events);
    expect(log.at(-1)?.position).toBe(at(r.manifest.head));
    expect(log.every((e, i) => i === 0 || e.position > log[i - 1]!.position)).toBe(true);
  });

  it('has every projection at its checkpoint, with its documents', async () => {
    const rows = await r.query(
      `SELECT p.name, p.mode, p.live_generation, CAST(c.position AS TEXT) AS position
       FROM ${r.t('factum_projections')} p JOIN ${r.t('factum_projection_checkpoints')} c
         ON c.projection = p.name AND c.generation = p.live_generation
       ORDER BY p.name`,
    );
    const expected = [...r.manifest.projections].sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(
      rows.map((row) => [row.name, row.mode, Number(row.live_generation), BigInt(row.position as string)]),
    ).toEqual(expected.map((p) => [p.name, p.mode, p.liveGeneration, at(p.checkpoint)]));
    for (const p of r.manifest.projections) {
      const docs = await readDocuments(r.store, p.collection).find();
      expect(sorted(docs), p.name).toEqual(sorted(Object.values(p.documents)));
      if (p.mode === 'async') {
        const after = await r.store.readAll({ after: at(p.checkpoint), limit: 1000 });
        expect(after.events, p.name).toHaveLength(p.behind);
      }
    }
  });

  it('has the relay checkpoints and the relay lease', async () => {
    const rows = await r.query(
      `SELECT name, CAST(position AS TEXT) AS position FROM ${r.t('factum_checkpoints')} ORDER BY name`,
    );
    const expected = [...r.manifest.relays].sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(rows.map((row) => [row.name, BigInt(row.position as string)])).toEqual(
      expected.map((relay) => [relay.name, at(relay.position)]),
    );
    for (const relay of r.manifest.relays) {
      const after = await r.store.readAll({
        after: at(relay.position),
        limit: 1000,
        ...(relay.categories === null ? {} : { categories: relay.categories }),
      });
      expect(after.events, relay.name).toHaveLength(relay.pending);
    }
    const leases = await r.query(
      `SELECT owner, ${r.expired} AS expired FROM ${r.t('factum_leases')} WHERE name = '${r.manifest.relayLease.name}'`,
    );
    expect(leases.map((l) => [l.owner, Boolean(l.expired)])).toEqual([[r.manifest.relayLease.owner, true]]);
  });

  it('has the outbox rows, the inbox records and the dead letter', async () => {
    const outbox = await r.query(
      `SELECT CAST(event_id AS TEXT) AS id, published_at IS NOT NULL AS published
       FROM ${r.t('factum_outbox')} ORDER BY position`,
    );
    expect(outbox.filter((row) => Boolean(row.published)).map((row) => row.id)).toEqual(
      r.manifest.outbox.published,
    );
    expect(outbox.filter((row) => !row.published).map((row) => row.id)).toEqual(
      r.manifest.outbox.unpublished,
    );

    const inbox = await r.query(`SELECT consumer, event_id FROM ${r.t('factum_inbox')}`);
    expect(sorted(inbox.map((row) => ({ consumer: row.consumer, eventId: row.event_id })))).toEqual(
      sorted(r.manifest.inbox),
    );

    const letters = await r.query(
      `SELECT projection, status, event_id, CAST(position AS TEXT) AS position, event
       FROM ${r.t('factum_projection_dead_letters')}`,
    );
    const { deadLetter } = r.manifest;
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect([letter.projection, letter.status, letter.event_id, BigInt(letter.position as string)]).toEqual([
      deadLetter.projection,
      'dead',
      deadLetter.eventId,
      at(deadLetter.position),
    ]);
    const event = (typeof letter.event === 'string' ? JSON.parse(letter.event) : letter.event) as {
      position: string;
      streamId: string;
      version: number;
    };
    expect([BigInt(event.position), event.streamId, event.version]).toEqual([
      at(deadLetter.position),
      deadLetter.streamId,
      deadLetter.version,
    ]);
  });

  it('appends after every restored event', async () => {
    const { position } = await r.store.append('order-1', [
      { type: 'OrderNoteAdded', data: { note: 'after' } },
    ]);
    const [max] = await r.query(
      `SELECT CAST(max(position) AS TEXT) AS position FROM ${r.t('factum_events')}`,
    );
    expect(BigInt(max!.position as string)).toBe(position);
    expect(position).toBeGreaterThan(at(r.manifest.head));
    // The stream read (readAll on PostgreSQL would also wait for every older transaction of the
    // server, other sessions' included, to end).
    const stream = await r.store.readStream('order-1');
    expect(stream.events.at(-1)?.position).toBe(position);
    expect(stream.events.slice(0, -1).every((e) => e.position < position)).toBe(true);
  });
}

describe('the release 0.1 SQLite fixture', () => {
  const dir = tempDir('factum-upgrade-');
  describeRestored(async () => {
    const store = createSqliteStore(copySqliteFixture(dir), { migrate: false });
    return {
      store,
      manifest: manifest.sqlite,
      shift: 0n,
      query: async (sql) => store.database.prepare(sql).all() as Record<string, unknown>[],
      t: (table) => table,
      expired: "expires_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000",
    };
  });
});

describe.skipIf(!pgProbe.available)('the release 0.1 PostgreSQL fixture', () => {
  const { pool, dropLater } = testPool();
  const schema = schemaNamer('factum_upgrade')();
  dropLater(schema);
  describeRestored(async () => {
    const shift = await restorePostgresFixture(pool, schema);
    expect(shift % 65_536n).toBe(0n);
    const [lowest] = (
      await pool.query<{ xid: string }>(
        `SELECT (min(position) / 65536)::text AS xid FROM "${schema}".factum_events`,
      )
    ).rows;
    expect(lowest?.xid).toBe('1');
    const store = await createPostgresStore({ pool, schema });
    return {
      store,
      manifest: manifest.postgres,
      shift,
      query: async (sql) => (await pool.query(sql)).rows as Record<string, unknown>[],
      t: (table) => `"${schema}".${table}`,
      expired: 'expires_at < now()',
    };
  });

  it('uses up transaction ids until the server is past the restored ones', async () => {
    const xid = async () => BigInt((await pool.query('SELECT pg_current_xact_id()::text AS x')).rows[0].x);
    const target = (await xid()) + 50n;
    await passTransaction(pool, target);
    expect(await xid()).toBeGreaterThan(target);
  });
});
