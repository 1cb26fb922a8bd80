import { ErrorCodes, isFactumError, StoreUnavailableError } from 'factum';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { beginTransaction, withTransaction } from '../../../src/stores/postgres/kit.js';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';
import { services } from '../../support/services.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL transaction helper (kit)', () => {
  const { pool: admin, dropLater } = testPool({ max: 2 });
  const nextSchema = schemaNamer('factum_tx');
  const pools: pg.Pool[] = [];
  afterAll(async () => {
    for (const pool of pools) await pool.end().catch(() => {});
  });

  /** A pool of one connection: the backend pid tells whether a client was reused or destroyed. */
  function onePool(): pg.Pool {
    const pool = new pg.Pool({ connectionString: services.postgres, max: 1 });
    pool.on('error', () => {});
    pools.push(pool);
    return pool;
  }
  const pidOf = async (pool: pg.Pool) =>
    (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

  async function table(): Promise<string> {
    const schema = nextSchema();
    dropLater(schema);
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(`CREATE TABLE "${schema}".t (id int PRIMARY KEY)`);
    return `"${schema}".t`;
  }
  const ids = async (t: string) =>
    (await admin.query<{ id: number }>(`SELECT id FROM ${t} ORDER BY id`)).rows.map((r) => r.id);

  it('commits what the task wrote and returns its value; the client goes back to the pool', async () => {
    const pool = onePool();
    const t = await table();
    const pid = await pidOf(pool);
    const value = await withTransaction(pool, 'write t', async (client) => {
      await client.query(`INSERT INTO ${t} VALUES (1), (2)`);
      return 'done';
    });
    expect(value).toBe('done');
    expect(await ids(t)).toEqual([1, 2]);
    expect(await pidOf(pool)).toBe(pid);
  });

  it('rolls back when the task throws, passing its own error through unchanged, and reuses the client', async () => {
    const pool = onePool();
    const t = await table();
    const pid = await pidOf(pool);
    const own = new Error('refused by the task');
    const attempt = withTransaction(pool, 'write t', async (client) => {
      await client.query(`INSERT INTO ${t} VALUES (1)`);
      throw own;
    });
    await expect(attempt).rejects.toBe(own);
    // A driver error that is not about the connection (a unique violation) passes through too.
    await admin.query(`INSERT INTO ${t} VALUES (7)`);
    const duplicate = withTransaction(pool, 'write t', async (client) => {
      await client.query(`INSERT INTO ${t} VALUES (8)`);
      await client.query(`INSERT INTO ${t} VALUES (7)`);
    });
    await expect(duplicate).rejects.toMatchObject({ code: '23505' });
    expect(await ids(t)).toEqual([7]);
    expect(await pidOf(pool)).toBe(pid);
  });

  it('rollbackOnly() ends without an error: nothing is kept and the task’s value is returned', async () => {
    const pool = onePool();
    const t = await table();
    const value = await withTransaction(pool, 'write t', async (client, control) => {
      await client.query(`INSERT INTO ${t} VALUES (1)`);
      control.rollbackOnly();
      return 'duplicate';
    });
    expect(value).toBe('duplicate');
    expect(await ids(t)).toEqual([]);
  });

  it('runs the given begin statement', async () => {
    const pool = onePool();
    const t = await table();
    const readOnly = withTransaction(
      pool,
      'read t',
      async (client) => {
        await client.query(`INSERT INTO ${t} VALUES (1)`);
      },
      { begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' },
    );
    await expect(readOnly).rejects.toMatchObject({ code: '25006' }); // read_only_sql_transaction
    const isolation = await withTransaction(
      pool,
      'read t',
      async (client) =>
        (await client.query<{ transaction_isolation: string }>('SHOW transaction_isolation')).rows[0]!
          .transaction_isolation,
      { begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' },
    );
    expect(isolation).toBe('repeatable read');
  });

  it('a connection lost in the task is a retriable StoreUnavailableError naming the operation; the client is destroyed', async () => {
    const pool = onePool();
    const pid = await pidOf(pool);
    const lost = withTransaction(pool, 'write t', async (client) => {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await client.query('SELECT 1');
    });
    const error = await lost.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(isFactumError(error) && error.retriable).toBe(true);
    expect((error as Error).message).toMatch(/could not write t/);
    expect((error as Error).cause).toBeDefined();
    // The pool's only connection was destroyed, not handed out again: the next one is new and works.
    const next = await pidOf(pool);
    expect(next).not.toBe(pid);
    expect(await withTransaction(pool, 'write t', async () => 'fine')).toBe('fine');
  });

  it('a pool that cannot connect is a retriable StoreUnavailableError naming the operation', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1, max: 1, connectionTimeoutMillis: 2000 });
    pools.push(pool);
    const error = await withTransaction(pool, 'write t', async () => 'never').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCodes.STORE_UNAVAILABLE, retriable: true });
    expect((error as Error).message).toMatch(/could not connect to write t/);
  });

  it('a connection that breaks while the transaction waits between statements does not crash the process', async () => {
    const pool = onePool();
    const t = await table();
    const open = await beginTransaction(pool, 'claim t');
    const pid = (await open.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await open.client.query(`INSERT INTO ${t} VALUES (1)`);
    // Idle in transaction (a relay waiting for the broker): the server ends the connection.
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const error = await open.commit().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCodes.STORE_UNAVAILABLE, retriable: true });
    expect(await ids(t)).toEqual([]);
    expect(await pidOf(pool)).not.toBe(pid);
  });

  it('beginTransaction keeps a transaction open across calls; rollback never throws, even on a dead connection', async () => {
    const pool = onePool();
    const t = await table();
    const kept = await beginTransaction(pool, 'claim t');
    await kept.client.query(`INSERT INTO ${t} VALUES (1)`);
    expect(await ids(t)).toEqual([]);
    await kept.commit();
    await kept.rollback(); // ended already: nothing happens
    expect(await ids(t)).toEqual([1]);

    const given = await beginTransaction(pool, 'claim t');
    const pid = (await given.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await given.client.query(`INSERT INTO ${t} VALUES (2)`);
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await expect(given.rollback()).resolves.toBeUndefined();
    expect(await ids(t)).toEqual([1]);
    expect(await pidOf(pool)).not.toBe(pid);
  });
});
