import { ErrorCodes, isFactumError, type StoredEvent } from 'factum';
import { loadCheckpoint, postgresFollowStorage, releaseLease, tryAcquireLease } from 'factum/follow';
import {
  eventLogSource,
  postgresInbox,
  postgresOutbox,
  relayCheckpoint,
  relayLeaseName,
  startRelay,
} from 'factum/messaging';
import { createPostgresStore, migrate } from 'factum/postgres';
import { waitFor } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { recordingBroker } from '../support/recording-broker.js';

const pg = await probePostgres();
const nextSchema = schemaNamer('factum_msg');

describe.skipIf(!pg.available)('PostgreSQL messaging storage', () => {
  const { pool, dropLater } = testPool({ max: 12 });
  const fresh = async () => {
    const schema = nextSchema();
    dropLater(schema);
    await migrate({ pool, schema });
    await pool.query(`CREATE TABLE "${schema}".orders (id text PRIMARY KEY, status text NOT NULL)`);
    return { pool, schema };
  };

  it('enqueue commits and rolls back with the caller’s own transaction', async () => {
    const handle = await fresh();
    // #region pg-outbox-enqueue
    const outbox = postgresOutbox({ pool, schema: handle.schema });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO "${handle.schema}".orders (id, status) VALUES ($1, $2)`, [
        '42',
        'placed',
      ]);
      await outbox.enqueue(client, { streamId: 'order-42', type: 'OrderPlaced', data: { orderId: '42' } });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
    // #endregion pg-outbox-enqueue

    const rolledBack = await pool.connect();
    await rolledBack.query('BEGIN');
    await rolledBack.query(`INSERT INTO "${handle.schema}".orders (id, status) VALUES ('43', 'placed')`);
    await outbox.enqueue(rolledBack, { streamId: 'order-43', type: 'OrderPlaced', data: { orderId: '43' } });
    await rolledBack.query('ROLLBACK');
    rolledBack.release();

    const outside = await pool.connect();
    const refused = await outbox
      .enqueue(outside, { streamId: 'order-44', type: 'OrderPlaced', data: {} })
      .catch((e: unknown) => e);
    outside.release();
    expect(isFactumError(refused) && refused.code === ErrorCodes.INVALID_ARGUMENT).toBe(true);

    const rows = await pool.query(`SELECT stream_id, version FROM "${handle.schema}".factum_outbox`);
    expect(rows.rows).toEqual([{ stream_id: 'order-42', version: 1 }]);
    const orders = await pool.query(`SELECT id FROM "${handle.schema}".orders`);
    expect(orders.rows).toEqual([{ id: '42' }]);
    // The committed row is the one waiting for a relay.
    expect(await outbox.pending()).toBe(1);
  });

  it('concurrent writers of one stream get consecutive versions in commit order', async () => {
    const handle = await fresh();
    const outbox = postgresOutbox(handle);
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await outbox.enqueue(client, { streamId: 'order-1', type: 'Touched', data: { i } });
          await sleep(5);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      }),
    );
    const { rows } = await pool.query<{ version: number }>(
      `SELECT version FROM "${handle.schema}".factum_outbox ORDER BY position`,
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('two relays drain one outbox concurrently: every row published exactly once, per-stream order kept', async () => {
    const handle = await fresh();
    const outbox = postgresOutbox(handle);
    const total = 600;
    const client = await pool.connect();
    await client.query('BEGIN');
    // More streams than a batch holds: a relay's claim always leaves other streams free for the other
    // one (with fewer, one relay can hold every stream's head and the other only waits).
    for (let i = 0; i < total; i++) {
      await outbox.enqueue(client, { streamId: `order-${i % 60}`, type: 'ItemAdded', data: { i } });
    }
    await client.query('COMMIT');
    client.release();

    const brokerA = recordingBroker(0, 3);
    const brokerB = recordingBroker(0, 3);
    // When each publish started and was confirmed, on one clock shared by both relays.
    let tick = 0;
    const spans = new Map<string, { version: number; stream: string; start: number; end: number }>();
    for (const broker of [brokerA, brokerB]) {
      const publish = broker.publish.bind(broker);
      broker.publish = async (events, options) => {
        const start = ++tick;
        await publish(events, options);
        const end = ++tick;
        for (const e of events) spans.set(e.id, { version: e.version, stream: e.streamId, start, end });
      };
    }
    const relays = [
      startRelay({ source: outbox.source('outbox-a'), broker: brokerA, batchSize: 20, idleMs: 10 }),
      startRelay({ source: outbox.source('outbox-b'), broker: brokerB, batchSize: 20, idleMs: 10 }),
    ];
    const published = () => brokerA.published.length + brokerB.published.length;
    await waitFor('every row is published', () => published() >= total, 30_000);
    await waitFor(
      'every row is marked published',
      async () =>
        (
          await pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM "${handle.schema}".factum_outbox WHERE published_at IS NULL`,
          )
        ).rows[0]?.n === '0',
      10_000,
    );
    await Promise.all(relays.map((r) => r.stop()));

    const all = [...brokerA.published, ...brokerB.published];
    expect(all.length).toBe(total);
    expect(new Set(all.map((e) => e.id)).size).toBe(total);
    // Both relays did part of the work.
    expect(brokerA.published.length).toBeGreaterThan(0);
    expect(brokerB.published.length).toBeGreaterThan(0);
    // A stream's next event is only published after the broker confirmed the one before it, even
    // when the two events were claimed by different relays.
    const byStream = new Map<string, { version: number; start: number; end: number }[]>();
    for (const span of spans.values())
      byStream.set(span.stream, [...(byStream.get(span.stream) ?? []), span]);
    for (const list of byStream.values()) {
      list.sort((x, y) => x.version - y.version);
      expect(list.map((x) => x.version)).toEqual(list.map((_, k) => k + 1));
      for (let k = 1; k < list.length; k++) {
        if (list[k]!.start !== list[k - 1]!.start) expect(list[k]!.start).toBeGreaterThan(list[k - 1]!.end);
      }
    }
    for (const broker of [brokerA, brokerB]) {
      const last = new Map<string, number>();
      for (const e of broker.published) {
        expect(e.version).toBeGreaterThan(last.get(e.streamId) ?? 0);
        last.set(e.streamId, e.version);
      }
    }
  });

  it('a relay stopped mid-drain gives its claims back: the rest is published by the next one', async () => {
    const handle = await fresh();
    const outbox = postgresOutbox(handle);
    const client = await pool.connect();
    await client.query('BEGIN');
    for (let i = 0; i < 100; i++) {
      await outbox.enqueue(client, { streamId: `s-${i % 3}`, type: 'T', data: { i } });
    }
    await client.query('COMMIT');
    client.release();
    const first = recordingBroker(0, 20);
    const relay = startRelay({ source: outbox.source(), broker: first, batchSize: 10 });
    await waitFor('a first batch', () => first.published.length > 0, 10_000);
    await relay.stop();
    const second = recordingBroker();
    const next = startRelay({ source: outbox.source(), broker: second, batchSize: 10 });
    // A publish in flight when the first relay stopped was given back unconfirmed, so it may come
    // again (at least once): count distinct events.
    const ids = () => new Set([...first.published, ...second.published].map((e) => e.id));
    await waitFor('the rest', () => ids().size >= 100, 10_000);
    const unpublished = async () =>
      (
        await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${handle.schema}".factum_outbox WHERE published_at IS NULL`,
        )
      ).rows[0]?.n;
    await waitFor('every row is marked published', async () => (await unpublished()) === 0, 10_000);
    await next.stop();
    expect(ids().size).toBe(100);
  });

  it('the inbox applies an event once under redelivery, concurrent or not, and rolls back a failed handler', async () => {
    const handle = await fresh();
    await pool.query(`CREATE TABLE "${handle.schema}".invoices (order_id text NOT NULL, total int NOT NULL)`);
    const inbox = postgresInbox(handle);
    const event = { id: '0190a8b2-0000-7000-8000-000000000001' };
    const apply = (total: number) =>
      inbox.process('billing', event, async (tx) => {
        await tx.query(`INSERT INTO "${handle.schema}".invoices (order_id, total) VALUES ('42', $1)`, [
          total,
        ]);
        await sleep(20);
      });
    const results = await Promise.all([apply(1), apply(2), apply(3)]);
    expect(results.filter((r) => r === 'processed')).toHaveLength(1);
    expect(await apply(4)).toBe('duplicate');
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${handle.schema}".invoices`);
    expect(rows[0]).toEqual({ n: 1 });
    expect(await inbox.has('billing', event.id)).toBe(true);
    // Another consumer has its own record.
    expect(await inbox.has('shipping', event.id)).toBe(false);

    const failing = { id: '0190a8b2-0000-7000-8000-000000000002' };
    await expect(
      inbox.process('billing', failing, async (tx) => {
        await tx.query(`INSERT INTO "${handle.schema}".invoices (order_id, total) VALUES ('43', 1)`);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await inbox.has('billing', failing.id)).toBe(false);
    const after = await pool.query(`SELECT count(*)::int AS n FROM "${handle.schema}".invoices`);
    expect(after.rows[0]).toEqual({ n: 1 });
  });

  it('leases: one holder, taken over after expiry with a higher fence; checkpoints never move back', async () => {
    const handle = await fresh();
    const storage = postgresFollowStorage(handle);
    const relay = relayLeaseName('relay');
    const short = relayLeaseName('short');
    const a = await tryAcquireLease(storage, relay, 'a', 60_000);
    expect(a).toMatchObject({ owner: 'a' });
    expect(await tryAcquireLease(storage, relay, 'b', 60_000)).toBeUndefined();
    expect(await tryAcquireLease(storage, relay, 'a', 60_000)).toMatchObject({ owner: 'a', token: 1 });
    expect(await tryAcquireLease(storage, short, 'a', 1)).toMatchObject({ owner: 'a' });
    await sleep(10);
    const b = await tryAcquireLease(storage, short, 'b', 60_000);
    expect(b).toMatchObject({ owner: 'b', token: 2 });
    expect(b!.expiresAt).toBeGreaterThan(storage.now());
    await releaseLease(storage, { ...a!, owner: 'b' }, relay.scope);
    expect(await tryAcquireLease(storage, relay, 'b', 60_000)).toBeUndefined();
    await releaseLease(storage, a!, relay.scope);
    expect(await tryAcquireLease(storage, relay, 'b', 60_000)).toMatchObject({ owner: 'b' });

    const name = relayCheckpoint('relay');
    expect(await loadCheckpoint(storage, name)).toBe(0n);
    await storage.transaction((tx) => tx.setCheckpoint(name, 2n ** 60n));
    await storage.transaction((tx) => tx.setCheckpoint(name, 5n));
    expect(await loadCheckpoint(storage, name)).toBe(2n ** 60n);
  });

  it('eventLogSource relays the PostgreSQL event store in order and checkpoints after the confirm', async () => {
    const schema = nextSchema();
    dropLater(schema);
    const store = await createPostgresStore({ pool, schema, migrate: true });
    for (let i = 0; i < 30; i++) {
      await store.append(`order-${i % 4}`, [{ type: 'ItemAdded', data: { i } }]);
    }
    const broker = recordingBroker(1);
    // #region pg-relay
    const relay = startRelay({
      source: eventLogSource(store),
      broker,
    });
    // #endregion pg-relay
    const storage = postgresFollowStorage(store);
    const head = (await store.readAll({ limit: 1000 })).last;
    await waitFor(
      'the checkpoint reaches the head',
      async () => (await loadCheckpoint(storage, relayCheckpoint('relay'))) === head,
      10_000,
    );
    await store.append('order-9', [{ type: 'Late', data: {} }]);
    await waitFor('a later append is relayed', () => broker.published.some((e) => e.type === 'Late'), 10_000);
    await relay.stop();
    const positions = broker.published.map((e: StoredEvent) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(broker.published.map((e) => e.id)).size).toBe(31);
    await store.close();
  });
});
