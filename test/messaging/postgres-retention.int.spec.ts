import { ErrorCodes, isFactumError } from 'factum';
import { consume, postgresInbox, postgresOutbox, startRelay } from 'factum/messaging';
import { migrate } from 'factum/postgres';
import { waitFor } from 'factum/testing';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { recordingBroker } from '../support/recording-broker.js';
import { readPage } from '../support/relay-pages.js';

const available = await probePostgres();
const nextSchema = schemaNamer('factum_ret');
const DAY = 86_400_000;

describe.skipIf(!available.available)('PostgreSQL messaging retention', () => {
  const { pool, dropLater } = testPool({ max: 12 });
  const fresh = async () => {
    const schema = nextSchema();
    dropLater(schema);
    await migrate({ pool, schema });
    return { pool, schema };
  };

  /** Enqueues one message per stream id, in one transaction. */
  const enqueue = async (outbox: ReturnType<typeof postgresOutbox>, streams: string[]) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const streamId of streams) await outbox.enqueue(client, { streamId, type: 'Touched', data: {} });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };
  const publishAll = async (outbox: ReturnType<typeof postgresOutbox>) => {
    const batch = await readPage(outbox.source(), 100_000);
    await batch.commit();
  };
  const rows = async (schema: string) =>
    (
      await pool.query<{ stream: string; version: number; published: boolean }>(
        `SELECT stream_id AS stream, version, published_at IS NOT NULL AS published
         FROM "${schema}".factum_outbox ORDER BY position`,
      )
    ).rows;
  const ageOutbox = (schema: string, ms: number, where = 'true') =>
    pool.query(
      `UPDATE "${schema}".factum_outbox SET published_at = now() - $1 * interval '1 millisecond',
         recorded_at = now() - ($1 + 1000) * interval '1 millisecond'
       WHERE published_at IS NOT NULL AND ${where}`,
      [ms],
    );
  const ageInbox = (schema: string, ms: number, where = 'true') =>
    pool.query(
      `UPDATE "${schema}".factum_inbox SET processed_at = now() - $1 * interval '1 millisecond' WHERE ${where}`,
      [ms],
    );

  it('deletes only rows published before the cutoff: never unpublished ones, never a stream’s newest row', async () => {
    const handle = await fresh();
    const outbox = postgresOutbox(handle);
    await enqueue(outbox, ['a', 'a', 'a', 'b', 'b', 'c']);
    await publishAll(outbox);
    await ageOutbox(handle.schema, 10 * DAY);
    await enqueue(outbox, ['a']);
    await publishAll(outbox);
    await ageOutbox(handle.schema, DAY, "stream_id = 'a' AND version = 4");
    await enqueue(outbox, ['d', 'd']);
    await pool.query(
      `UPDATE "${handle.schema}".factum_outbox SET recorded_at = now() - interval '30 days' WHERE stream_id = 'd'`,
    );

    expect(await outbox.prune({ olderThan: 7 * DAY })).toBe(4);
    expect(await rows(handle.schema)).toEqual([
      { stream: 'b', version: 2, published: true },
      { stream: 'c', version: 1, published: true },
      { stream: 'a', version: 4, published: true },
      { stream: 'd', version: 1, published: false },
      { stream: 'd', version: 2, published: false },
    ]);
    expect(await outbox.prune({ olderThan: new Date(Date.now() + DAY) })).toBe(0);
    await enqueue(outbox, ['b', 'c']);
    expect((await rows(handle.schema)).slice(-2)).toEqual([
      { stream: 'b', version: 3, published: false },
      { stream: 'c', version: 2, published: false },
    ]);
  });

  it('uses one unnamed statement per batch on the pool (PgBouncer-safe), batchSize rows at most each', async () => {
    const handle = await fresh();
    const outbox = postgresOutbox(handle);
    await enqueue(
      outbox,
      Array.from({ length: 75 }, (_, i) => `s-${i % 5}`),
    );
    await publishAll(outbox);
    await ageOutbox(handle.schema, 10 * DAY);
    const statements: pg.QueryConfig[] = [];
    const deletedPer: number[] = [];
    // A pool that only runs single statements: checking a client out (session state) would throw.
    const spy = {
      async query(config: pg.QueryConfig) {
        // The first use on a pool it has not seen checks the messaging migrations: not a prune statement.
        if (config.text.includes('factum_migrations')) return pool.query(config);
        statements.push(config);
        const result = await pool.query(config);
        deletedPer.push((result.rows[0] as { deleted: number }).deleted);
        return result;
      },
      connect() {
        throw new Error('prune must not hold a connection across statements');
      },
    } as unknown as pg.Pool;
    const pruning = postgresOutbox({ pool: spy, schema: handle.schema });
    expect(await pruning.prune({ olderThan: 7 * DAY, batchSize: 8 })).toBe(70);
    expect(statements.length).toBeGreaterThan(8);
    expect(statements.every((s) => s.name === undefined)).toBe(true);
    expect(Math.max(...deletedPer)).toBeLessThanOrEqual(8);

    await pool.query(`CREATE TABLE "${handle.schema}".dummy (x int)`);
    const inbox = postgresInbox(handle);
    for (let i = 0; i < 30; i++) await inbox.process(`c${i % 3}`, { id: `e-${i}` }, () => {});
    await ageInbox(handle.schema, 40 * DAY);
    statements.length = 0;
    deletedPer.length = 0;
    expect(
      await postgresInbox({ pool: spy, schema: handle.schema }).prune({ olderThan: 30 * DAY, batchSize: 4 }),
    ).toBe(30);
    expect(statements.length).toBeGreaterThan(7);
    expect(statements.every((s) => s.name === undefined)).toBe(true);
    expect(Math.max(...deletedPer)).toBeLessThanOrEqual(4);
  });

  it('leaves rows a relay has claimed alone, without waiting for its transaction', async () => {
    const handle = await fresh();
    const outbox = postgresOutbox(handle);
    await enqueue(outbox, ['a', 'a', 'a']);
    await publishAll(outbox);
    await enqueue(outbox, ['a', 'a']);
    const claim = await readPage(outbox.source('claimer'), 10);
    expect(claim.events.map((e) => e.version)).toEqual([4, 5]);
    // The claim holds row locks; a prune that waited for them would never return while it is open.
    expect(await outbox.prune({ olderThan: new Date(Date.now() + DAY) })).toBe(3);
    await claim.commit();
    expect(await rows(handle.schema)).toEqual([
      { stream: 'a', version: 4, published: true },
      { stream: 'a', version: 5, published: true },
    ]);
  });

  it('loses nothing while two relays publish and writers enqueue during aggressive pruning', async () => {
    const handle = await fresh();
    const outbox = postgresOutbox(handle);
    const brokers = [recordingBroker(0, 2), recordingBroker(0, 2)];
    const relays = brokers.map((broker, i) =>
      startRelay({
        source: outbox.source(`outbox-${i}`),
        broker,
        batchSize: 20,
        idleMs: 5,
        retention: false,
      }),
    );
    const total = 400;
    const streams = 11;
    const published = () => brokers.flatMap((b) => b.published);
    let writing = true;
    let pruned = 0;
    const pruner = (async () => {
      while (writing || published().length < total) {
        pruned += await outbox.prune({ olderThan: new Date(Date.now() + DAY), batchSize: 16 });
        await sleep(1);
      }
    })();
    // Four writers at once, each its own transactions (streams in one order, as writers that lock
    // several streams must, or they deadlock on the per-stream locks).
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < total / 4; i += 10) {
          await enqueue(
            outbox,
            Array.from(
              { length: 10 },
              (_, k) => `order-${String((w * 7 + i + k) % streams).padStart(2, '0')}`,
            ).sort(),
          );
        }
      }),
    );
    writing = false;
    await waitFor('every message is published', () => published().length >= total, 30_000);
    await pruner;
    await Promise.all(relays.map((r) => r.stop()));
    pruned += await outbox.prune({ olderThan: new Date(Date.now() + DAY) });

    const all = published();
    expect(all).toHaveLength(total);
    expect(new Set(all.map((e) => e.id)).size).toBe(total);
    const versions = new Map<string, number[]>();
    for (const e of all) versions.set(e.streamId, [...(versions.get(e.streamId) ?? []), e.version]);
    for (const list of versions.values()) {
      expect([...list].sort((x, y) => x - y)).toEqual(list.map((_, k) => k + 1));
    }
    const left = await rows(handle.schema);
    expect(left.filter((r) => !r.published)).toEqual([]);
    expect(left).toHaveLength(streams);
    expect(pruned).toBe(total - streams);
  });

  it('inbox: forgets records older than the window, per consumer or all; a record inside it still deduplicates', async () => {
    const handle = await fresh();
    const inbox = postgresInbox(handle);
    for (let i = 0; i < 45; i++) {
      await inbox.process(`consumer-${i % 3}`, { id: `event-${String(i).padStart(3, '0')}` }, () => {});
    }
    await ageInbox(handle.schema, 40 * DAY, "event_id < 'event-040'");
    await ageInbox(handle.schema, 29 * DAY, "event_id >= 'event-040'");
    // consumer-1 has 13 of the 40 old records (event-001, 004, …, 037).
    expect(await inbox.prune({ olderThan: 30 * DAY, consumer: 'consumer-1', batchSize: 4 })).toBe(13);
    expect(await inbox.has('consumer-0', 'event-000')).toBe(true);
    expect(await inbox.prune({ olderThan: 30 * DAY, batchSize: 6 })).toBe(27);
    let applied = 0;
    // event-042 is consumer-0's, processed 29 days ago: inside the window, still a duplicate.
    expect(await inbox.process('consumer-0', { id: 'event-042' }, () => void applied++)).toBe('duplicate');
    // event-000 was forgotten: a redelivery this old is processed again (the documented trade-off).
    expect(await inbox.process('consumer-0', { id: 'event-000' }, () => void applied++)).toBe('processed');
    expect(applied).toBe(1);
  });

  it('background retention: the relay prunes its outbox, consume its inbox records', async () => {
    const handle = await fresh();
    const outbox = postgresOutbox(handle);
    await enqueue(outbox, ['a', 'a', 'b']);
    const broker = recordingBroker();
    const relay = startRelay({
      source: outbox.source(),
      broker,
      idleMs: 5,
      retention: { publishedMs: 0, everyMs: 20 },
    });
    await waitFor('a-1 is pruned', async () => (await rows(handle.schema)).length === 2, 10_000);
    await relay.stop();
    expect(relay.status().pruned).toBe(1);

    const inbox = postgresInbox(handle);
    await inbox.process('billing', { id: 'old' }, () => {});
    await ageInbox(handle.schema, 40 * DAY);
    const handBroker = {
      ...recordingBroker(),
      async consume(options: { group: string }) {
        return { group: options.group, stop: async () => {} };
      },
    };
    const consumer = await consume(handBroker, () => {}, {
      group: 'billing',
      inbox,
      retention: { keepMs: 30 * DAY, everyMs: 20 },
    });
    await waitFor('the old record is pruned', async () => !(await inbox.has('billing', 'old')), 10_000);
    await consumer.stop();
  });

  it('refuses bad arguments with typed errors', async () => {
    const handle = await fresh();
    const outbox = postgresOutbox(handle);
    const inbox = postgresInbox(handle);
    const refusals = await Promise.all([
      outbox.prune({ olderThan: -1 }).catch((e: unknown) => e),
      outbox.prune({ olderThan: DAY, batchSize: 20_000 }).catch((e: unknown) => e),
      inbox.prune({ olderThan: Number.POSITIVE_INFINITY }).catch((e: unknown) => e),
      inbox.prune({ olderThan: DAY, consumer: 7 as unknown as string }).catch((e: unknown) => e),
    ]);
    expect(
      refusals.map((e) => isFactumError(e, ErrorCodes.INVALID_ARGUMENT) && (e as { field?: string }).field),
    ).toEqual(['olderThan', 'batchSize', 'olderThan', 'consumer']);
  });
});
