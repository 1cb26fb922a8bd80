import { ErrorCodes } from 'factum';
import { postgresOutbox } from 'factum/messaging';
import { migrate } from 'factum/postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { readPage } from '../support/relay-pages.js';
import { services } from '../support/services.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL outbox: the claim connection breaks', () => {
  const { pool: admin, dropLater } = testPool({ max: 2 });
  const nextSchema = schemaNamer('factum_obconn');
  const pools: pg.Pool[] = [];
  afterAll(async () => {
    for (const pool of pools) await pool.end().catch(() => {});
  });

  it('a claim whose connection dies while the relay waits for the broker fails retriably, without crashing; the rows come again', async () => {
    const schema = nextSchema();
    dropLater(schema);
    await migrate({ pool: admin, schema });
    const application = `factum_obconn_${process.pid}_${Date.now()}`;
    const pool = new pg.Pool({ connectionString: services.postgres, max: 2, application_name: application });
    pool.on('error', () => {});
    pools.push(pool);
    const outbox = postgresOutbox({ pool, schema });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await outbox.enqueue(client, { streamId: 'order-1', type: 'OrderPlaced', data: {} });
      await client.query('COMMIT');
    } finally {
      client.release();
    }

    const source = outbox.source();
    const batch = await readPage(source, 10);
    expect(batch.events.map((e) => e.streamId)).toEqual(['order-1']);
    // While the batch is being published, its claim transaction sits idle; the server ends it.
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = $1 AND state = 'idle in transaction'`,
      [application],
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(batch.commit()).rejects.toMatchObject({
      code: ErrorCodes.STORE_UNAVAILABLE,
      retriable: true,
    });

    source.reset?.();
    const again = await readPage(source, 10);
    expect(again.events.map((e) => e.streamId)).toEqual(['order-1']);
    await again.commit();
    expect((await readPage(source, 10)).events).toEqual([]);
  });
});
