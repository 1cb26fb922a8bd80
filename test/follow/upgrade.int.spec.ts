// Upgrading a store written by release 0.1 (test/fixtures/upgrade, made by make-fixtures.ts with that
// release's code): the numbered migration carries the projections' and the relays' checkpoints and
// leases into the one lease table and the one checkpoint table, and every projection and relay then
// resumes exactly where it stopped — no event skipped, none applied twice.
import type { EventStore, StoredEvent } from 'factum';
import { followStorageOf, loadCheckpoint } from 'factum/follow';
import {
  eventLogSource,
  postgresInbox,
  postgresOutbox,
  type RelaySource,
  relayCheckpoint,
  sqliteInbox,
  sqliteOutbox,
  startRelay,
} from 'factum/messaging';
import { createPostgresStore, migrate as migratePostgres } from 'factum/postgres';
import { createProjections, defineProjection, type Projections } from 'factum/projections';
import { createSqliteStore, type SqliteEventStore } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedDocuments, type FixtureEvent, fixtureProjections } from '../fixtures/upgrade/scenario.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { recordingBroker } from '../support/recording-broker.js';
import { tempDir } from '../support/temp.js';
import {
  canonical,
  copySqliteFixture,
  readUpgradeManifest,
  restorePostgresFixture,
  type StoreManifest,
  shiftPosition,
} from '../support/upgrade-fixture.js';

const manifest = readUpgradeManifest();
const pgProbe = await probePostgres();

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

interface Fixture {
  manifest: StoreManifest;
  shift: bigint;
  /** Runs SQL against the fixture's tables; `t(name)` qualifies a table name. */
  query: Query;
  t: (table: string) => string;
  /** The fencing token of the relay lease the release left (SQLite kept none: it counts from 1). */
  releaseLeaseToken: number;
  /** The names of Factum's tables (factum_…) in the fixture's database or schema. */
  tables(): Promise<string[]>;
  /** Applies every pending migration, then opens the store with this checkout's code. */
  migrateAndOpen(): Promise<EventStore & { close(): Promise<void> }>;
  outboxSource(store: EventStore): RelaySource;
  inbox(store: EventStore): {
    process(consumer: string, event: { id: string }, work: () => void): Promise<string>;
  };
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

function describeUpgrade(prepare: () => Promise<Fixture>) {
  let f: Fixture;
  let store: EventStore & { close(): Promise<void> };
  let projections: Projections | undefined;
  const at = (position: string) => shiftPosition(position, f.shift);

  beforeAll(async () => {
    f = await prepare();
  });
  afterAll(async () => {
    await projections?.stop();
    await store?.close();
  });

  it('starts from the schema and the checkpoints release 0.1 wrote', async () => {
    const versions = await f.query(`SELECT version FROM ${f.t('factum_migrations')} ORDER BY version`);
    expect(versions.map((row) => Number(row.version))).toEqual([1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13]);
    const projectionCheckpoints = await f.query(
      `SELECT projection, CAST(position AS TEXT) AS position FROM ${f.t('factum_projection_checkpoints')}
       ORDER BY projection, generation`,
    );
    expect(projectionCheckpoints.length).toBeGreaterThanOrEqual(f.manifest.projections.length);
    const relayCheckpoints = await f.query(`SELECT name FROM ${f.t('factum_checkpoints')} ORDER BY name`);
    expect(relayCheckpoints.map((row) => row.name)).toEqual(f.manifest.relays.map((r) => r.name).sort());
  });

  it('migrates: one lease table and one checkpoint table hold what the release kept in two of each', async () => {
    store = await f.migrateAndOpen();
    const names = await f.tables();
    expect(names).toContain('factum_leases');
    expect(names).toContain('factum_checkpoints');
    expect(names).not.toContain('factum_projection_leases');
    expect(names).not.toContain('factum_projection_checkpoints');

    const storage = followStorageOf(store);
    const live = await f.query(
      `SELECT name, live_generation FROM ${f.t('factum_projections')} ORDER BY name`,
    );
    for (const p of f.manifest.projections) {
      const generation = Number(live.find((row) => row.name === p.name)?.live_generation);
      expect(generation, p.name).toBe(p.liveGeneration);
      // The inline projection's stored checkpoint never moved; the async ones resume from theirs.
      expect(await loadCheckpoint(storage, `projection:${p.name}:${generation}`), p.name).toBe(
        at(p.checkpoint),
      );
    }
    for (const relay of f.manifest.relays) {
      expect(await loadCheckpoint(storage, relayCheckpoint(relay.name)), relay.name).toBe(at(relay.position));
    }
    const lease = await storage.read((tx) => tx.getLease(`relay:${f.manifest.relayLease.name}`));
    expect(lease).toMatchObject({ owner: f.manifest.relayLease.owner, token: f.releaseLeaseToken });
    expect(lease!.expiresAt).toBeLessThan(storage.now());
  });

  it('resumes every projection where it stopped: the read models equal the log folded once', async () => {
    const definitions = fixtureProjections((d) => defineProjection(d as never));
    projections = await createProjections(store, {
      async: [definitions.tally, definitions.rebuilt, definitions.poisoned],
      inline: [definitions.inline_tally],
      rebuildStale: false,
      monitorEveryMs: 50,
    });
    const head = at(f.manifest.head);
    projections.start();
    for (const name of ['tally', 'rebuilt', 'poisoned']) {
      await projections.waitFor(name, head, { timeoutMs: 20_000 });
    }
    const log = (await wholeLog(store)) as unknown as FixtureEvent[];
    expect(log).toHaveLength(f.manifest.events);
    for (const p of f.manifest.projections) {
      const docs = await projections.documents(p.collection).find({}, { limit: 1000 });
      expect(sorted(docs), p.name).toEqual(sorted(Object.values(p.documentsAtHead)));
      expect(sorted(docs), p.name).toEqual(sorted(Object.values(expectedDocuments(p.name as never, log))));
    }
    // The dead letter is still there, still dead, and nothing was dead-lettered again.
    const letters = await projections.listDeadLetters({});
    expect(letters.map((l) => [l.projection, l.status, l.event.id])).toEqual([
      [f.manifest.deadLetter.projection, 'dead', f.manifest.deadLetter.eventId],
    ]);
    expect(letters[0]!.event.position).toBe(at(f.manifest.deadLetter.position));

    // And they keep going: an append reaches the inline projection at once and the async ones next.
    const { position } = await store.append('order-1', [{ type: 'OrderNoteAdded', data: { note: 'after' } }]);
    await projections.waitFor('tally', position, { timeoutMs: 10_000 });
    const after = (await wholeLog(store)) as unknown as FixtureEvent[];
    for (const name of ['tally', 'inline_tally'] as const) {
      const p = f.manifest.projections.find((x) => x.name === name)!;
      const docs = await projections.documents(p.collection).find({}, { limit: 1000 });
      expect(sorted(docs), name).toEqual(sorted(Object.values(expectedDocuments(name, after))));
    }
    await projections.stop();
  });

  it('resumes every relay where it stopped: it publishes exactly the events after its checkpoint', async () => {
    const log = await wholeLog(store);
    for (const relay of f.manifest.relays) {
      const from = at(relay.position);
      const expected = log.filter(
        (e) => e.position > from && (relay.categories === null || relay.categories.includes(e.category)),
      );
      const broker = recordingBroker();
      const running = startRelay({
        source: eventLogSource(store, {
          name: relay.name,
          ...(relay.categories === null ? {} : { categories: relay.categories }),
        }),
        broker,
        batchSize: 16,
        lease: { strategy: 'row' },
      });
      await waitFor(
        `${relay.name} publishes what it had left`,
        () => broker.published.length >= expected.length,
        10_000,
      );
      await running.stop();
      expect(
        broker.published.map((e) => e.id),
        relay.name,
      ).toEqual(expected.map((e) => e.id));
      expect(await loadCheckpoint(followStorageOf(store), relayCheckpoint(relay.name))).toBe(
        expected.at(-1)?.position ?? from,
      );
    }
    // The lease the release left behind was taken over: the fencing token counts on from the release's.
    const lease = await followStorageOf(store).read((tx) =>
      tx.getLease(`relay:${f.manifest.relayLease.name}`),
    );
    expect(lease?.token).toBe(f.releaseLeaseToken + 1);
  });

  it('drains the outbox rows the release had not published, and the inbox still deduplicates', async () => {
    const broker = recordingBroker();
    const relay = startRelay({ source: f.outboxSource(store), broker, idleMs: 10, retention: false });
    await waitFor(
      'the unpublished rows are published',
      () => broker.published.length >= f.manifest.outbox.unpublished.length,
      10_000,
    );
    await relay.stop();
    expect(broker.published.map((e) => e.id)).toEqual(f.manifest.outbox.unpublished);
    const inbox = f.inbox(store);
    for (const record of f.manifest.inbox) {
      expect(await inbox.process(record.consumer, { id: record.eventId }, () => {})).toBe('duplicate');
    }
  });
}

describe('upgrading a release 0.1 SQLite file', () => {
  const dir = tempDir('factum-upgrade-');
  describeUpgrade(async () => {
    const file = copySqliteFixture(dir);
    // Read as the release left it, then opened by this checkout's code (which migrates on open).
    let open: SqliteEventStore = createSqliteStore(file, { migrate: false });
    const query: Query = async (sql) => open.database.prepare(sql).all() as Record<string, unknown>[];
    return {
      manifest: manifest.sqlite,
      shift: 0n,
      releaseLeaseToken: 1,
      query,
      t: (table) => table,
      tables: async () =>
        (await query("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'factum_%'")).map(
          (row) => String(row.name),
        ),
      async migrateAndOpen() {
        await open.close();
        open = createSqliteStore(file);
        return open;
      },
      outboxSource: (store) => sqliteOutbox(store as SqliteEventStore).source(),
      inbox: (store) => sqliteInbox(store as SqliteEventStore),
    };
  });
});

describe.skipIf(!pgProbe.available)('upgrading a release 0.1 PostgreSQL schema', () => {
  const { pool, dropLater } = testPool();
  const schema = schemaNamer('factum_upgrade')();
  dropLater(schema);
  describeUpgrade(async () => {
    const shift = await restorePostgresFixture(pool, schema);
    const { rows } = await pool.query<{ fence: string }>(
      `SELECT fence::text AS fence FROM "${schema}".factum_leases WHERE name = $1`,
      [manifest.postgres.relayLease.name],
    );
    return {
      manifest: manifest.postgres,
      shift,
      releaseLeaseToken: Number(rows[0]?.fence),
      query: async (sql) => (await pool.query(sql)).rows as Record<string, unknown>[],
      t: (table) => `"${schema}".${table}`,
      tables: async () =>
        (
          await pool.query<{ name: string }>(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'factum_%'",
            [schema],
          )
        ).rows.map((row) => row.name),
      async migrateAndOpen() {
        expect(await migratePostgres({ pool, schema })).toEqual([8, 15]);
        return createPostgresStore({ pool, schema });
      },
      outboxSource: () => postgresOutbox({ pool, schema }).source(),
      inbox: () => postgresInbox({ pool, schema }),
    };
  });
});
