import { randomBytes } from 'node:crypto';
import {
  ErrorCodes,
  isFactumError,
  type NewEvent,
  newEventId,
  type StoredEvent,
  StoreUnavailableError,
} from 'factum';
import { createPostgresStore, type PostgresEventStore } from 'factum/postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';
import { services } from '../../support/services.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL store across lost connections', () => {
  const { pool: admin, dropLater } = testPool({ max: 2 });
  const nextSchema = schemaNamer('factum_reconnect');
  const pools: pg.Pool[] = [];
  afterAll(async () => {
    for (const pool of pools) await pool.end().catch(() => {});
  });

  function appPool(config: pg.PoolConfig = {}): { pool: pg.Pool; name: string } {
    const name = `factum_test_${randomBytes(4).toString('hex')}`;
    const pool = new pg.Pool({
      connectionString: services.postgres,
      max: 6,
      application_name: name,
      ...config,
    });
    pool.on('error', () => {});
    pools.push(pool);
    return { pool, name };
  }

  /** Appends `event` until it is stored: every failure must be a retriable StoreUnavailableError. */
  async function appendUntilStored(
    store: PostgresEventStore,
    streamId: string,
    event: NewEvent,
    failures: unknown[],
  ): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        await store.append(streamId, [event]);
        return;
      } catch (error) {
        failures.push(error);
        if (!(error instanceof StoreUnavailableError)) throw error;
        await sleep(20);
      }
    }
    throw new Error(`append to ${streamId} never succeeded`);
  }

  it('a subscriber survives pg_terminate_backend of every connection and misses nothing; appends fail retriably or succeed', async () => {
    const schema = nextSchema();
    dropLater(schema);
    const writerPool = appPool();
    const readerPool = appPool();
    const writer = await createPostgresStore({ pool: writerPool.pool, schema, migrate: true });
    // A poll interval of a minute: only LISTEN/NOTIFY (and the wake-up after reconnecting) can
    // bring events to this subscriber within the test's time.
    const reader = await createPostgresStore({ pool: readerPool.pool, schema, pollIntervalMs: 60_000 });
    const received: StoredEvent[] = [];
    const subscription = reader.subscribe({}, (e) => {
      received.push(e);
    });
    await waitUntil(() => reader.listening, 5000);

    const failures: unknown[] = [];
    const ids: string[] = [];
    const terminate = async () => {
      const { rows } = await admin.query<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity
         WHERE application_name = ANY ($1::text[]) AND pid <> pg_backend_pid()`,
        [[writerPool.name, readerPool.name]],
      );
      return Number(rows[0]!.n);
    };
    let terminated = 0;
    for (let i = 0; i < 90; i++) {
      if (i === 30 || i === 60) terminated += await terminate();
      const id = newEventId();
      ids.push(id);
      await appendUntilStored(writer, `order-${i % 7}`, { id, type: 'Counted', data: { i } }, failures);
      await sleep(5);
    }
    expect(terminated).toBeGreaterThanOrEqual(2);

    await waitUntil(() => received.length >= ids.length, 15_000);
    await sleep(100);
    expect(received.map((e) => e.id)).toEqual(ids);
    for (let k = 1; k < received.length; k++) {
      expect(received[k]!.position).toBeGreaterThan(received[k - 1]!.position);
    }
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect(failure).toMatchObject({ code: ErrorCodes.STORE_UNAVAILABLE, retriable: true });
      expect((failure as Error).cause).toBeDefined();
    }
    // Nothing was stored twice, whatever the outcome of the interrupted appends.
    const { rows } = await admin.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM "${schema}".factum_events`,
    );
    expect(Number(rows[0]!.n)).toBe(ids.length);
    expect(subscription.status().state).toBe('live');
    await waitUntil(() => reader.listening, 5000);
    await subscription.unsubscribe();
    await reader.close();
    await writer.close();
  });

  it('while the server is down, appends fail with a retriable StoreUnavailableError and the subscriber reports it; after the restart both carry on', async () => {
    const schema = nextSchema();
    dropLater(schema);
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(services.postgres).port || 5432));
    await proxy.start();
    const url = new URL(services.postgres);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const { pool } = appPool({ connectionString: url.toString(), connectionTimeoutMillis: 2000 });
    const store = await createPostgresStore({ pool, schema, migrate: true, pollIntervalMs: 200 });
    const received: StoredEvent[] = [];
    const subscription = store.subscribe({ retry: { initialDelayMs: 20, maxDelayMs: 200 } }, (e) => {
      received.push(e);
    });
    const before = newEventId();
    await store.append('order-1', [{ id: before, type: 'Placed', data: {} }]);
    await waitUntil(() => received.length === 1, 5000);

    await proxy.stop();
    const during = newEventId();
    const error = await store.append('order-1', [{ id: during, type: 'Paid', data: {} }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(isFactumError(error, ErrorCodes.STORE_UNAVAILABLE)).toBe(true);
    expect(error).toMatchObject({ retriable: true });
    expect((error as Error).cause).toBeDefined();
    await waitUntil(() => subscription.status().unavailable !== undefined, 5000);
    expect(subscription.status().state).not.toBe('failed');

    await proxy.start();
    // The retry of the failed append (same id) stores it exactly once.
    await appendUntilStored(store, 'order-1', { id: during, type: 'Paid', data: {} }, []);
    await appendUntilStored(store, 'order-1', { id: during, type: 'Paid', data: {} }, []);
    const after = newEventId();
    await store.append('order-1', [{ id: after, type: 'Shipped', data: {} }]);
    await waitUntil(() => received.length >= 3, 10_000);
    await sleep(50);
    expect(received.map((e) => e.id)).toEqual([before, during, after]);
    expect(subscription.status().unavailable).toBeUndefined();
    await store.close();
    await proxy.stop();
  });

  it('opening a store on an unreachable server fails with a retriable StoreUnavailableError', async () => {
    const { pool } = appPool({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
    const attempt = createPostgresStore({ pool, schema: nextSchema(), migrate: true });
    await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(attempt).rejects.toMatchObject({ retriable: true, cause: expect.anything() });
  });
});
