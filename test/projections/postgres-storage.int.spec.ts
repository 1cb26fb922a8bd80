import { ErrorCodes, isFactumError } from 'factum';
import { createPostgresStore } from 'factum/postgres';
import { createProjections, defineProjection, postgresProjectionStorage } from 'factum/projections';
import { describeProjectionStorageContract } from 'factum/testing';
import { describe, expect, it, vi } from 'vitest';
import { tryAcquireLease } from '../../src/follow/lease.js';
import { sleep, waitUntil } from '../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { services } from '../support/services.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL projection storage', () => {
  const { pool, dropLater } = testPool({ max: 10 });
  const nextSchema = schemaNamer('factum_pjstore');
  describeProjectionStorageContract('postgres', async () => {
    const schema = nextSchema();
    dropLater(schema);
    const store = await createPostgresStore({ pool, schema, migrate: true });
    return { store, storage: postgresProjectionStorage(store) };
  });
});

describe.skipIf(!postgres.available)('PostgreSQL projection storage: locks across processes', () => {
  const { pool, dropLater } = testPool({ max: 10 });
  const nextSchema = schemaNamer('factum_pjlock');

  it('a projection transaction excludes the same projection and unscoped transactions of other processes, not other projections', async () => {
    const schema = nextSchema();
    dropLater(schema);
    // Two store instances: two storages with their own in-process queues, like two processes.
    const one = postgresProjectionStorage(await createPostgresStore({ pool, schema, migrate: true }));
    const two = postgresProjectionStorage(await createPostgresStore({ pool, schema }));
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let entered: () => void = () => {};
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    const holder = one.transaction(async () => {
      entered();
      await held;
    }, 'p');
    await inside;
    const done: string[] = [];
    const other = two.transaction(async () => done.push('q'), 'q');
    const same = two.transaction(async () => done.push('p'), 'p');
    const all = two.transaction(async () => done.push('all'), undefined);
    await other;
    // 'q' committed while 'p' is held; give the waiting ones time to show they wait.
    await sleep(200);
    expect(done).toEqual(['q']);
    release();
    await Promise.all([holder, same, all]);
    expect(done).toEqual(['q', 'p', 'all']);
  });
});

describe.skipIf(!postgres.available)('PostgreSQL projection storage: session locks', () => {
  const { pool, dropLater } = testPool({ max: 10 });
  const nextSchema = schemaNamer('factum_pjsession');
  /** The backend holding the session lease lock `name` of `schema`, as pg_locks shows it. */
  const holderPid = async (schema: string, name: string) => {
    const { rows } = await pool.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2
          AND classid = hashtext($1)::oid AND objid = hashtext($2)::oid`,
      [`factum:lease:${schema}`, name],
    );
    return rows[0]?.pid;
  };

  it('holds a lock once across processes and in this one; the database frees it when the holder connection ends', async () => {
    const schema = nextSchema();
    dropLater(schema);
    const one = postgresProjectionStorage(await createPostgresStore({ pool, schema, migrate: true }));
    const two = postgresProjectionStorage(await createPostgresStore({ pool, schema }));
    const held = await one.sessionLocks!.tryLock('projection:a');
    expect(held).toBeDefined();
    expect(await one.sessionLocks!.tryLock('projection:a')).toBeUndefined();
    expect(await two.sessionLocks!.tryLock('projection:a')).toBeUndefined();
    const other = await two.sessionLocks!.tryLock('projection:b');
    expect(other).toBeDefined();
    expect(await held!.alive()).toBe(true);

    // The holder's connection dies (a crash, a network cut): the lock is gone, another process takes it.
    const pid = await holderPid(schema, 'projection:a');
    expect(pid).toBeTypeOf('number');
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    expect(await held!.alive()).toBe(false);
    // pg_terminate_backend signals the backend; it frees its locks as it exits, a moment later.
    await waitUntil(async () => (await holderPid(schema, 'projection:a')) === undefined, 5_000);
    const taken = await two.sessionLocks!.tryLock('projection:a');
    expect(taken).toBeDefined();
    await held!.release();
    await taken!.release();
    await other!.release();
    // Released locks can be taken again, and the connection went back to the pool.
    const again = await one.sessionLocks!.tryLock('projection:a');
    expect(again).toBeDefined();
    await again!.release();
    expect(await holderPid(schema, 'projection:a')).toBeUndefined();
  });

  it('an advisory lease whose lock connection dies is lost: the runner stops, one runner takes it over with a new token', async () => {
    const schema = nextSchema();
    dropLater(schema);
    const storeA = await createPostgresStore({ pool, schema, migrate: true });
    const storeB = await createPostgresStore({ pool, schema });
    let applied = 0;
    const counter = defineProjection({
      name: 'counter',
      handles: ['Counted'],
      documents: { counter_docs: {} },
      async handle(_event, tx) {
        applied++;
        const docs = tx.documents<{ n: number }>('counter_docs');
        await docs.upsert('all', { n: ((await docs.get('all'))?.n ?? 0) + 1 });
      },
    });
    // A ttl of a minute: only the lock, not the row's expiry, can move the lease in this test.
    const lease = { ttlMs: 60_000, renewEveryMs: 50, acquireEveryMs: 50 };
    const a = await createProjections(storeA, { async: [counter], lease, owner: 'a' });
    const b = await createProjections(storeB, { async: [counter], lease, owner: 'b' });
    const states: string[] = [];
    a.on('lease', (e) => states.push(`a ${e.state}`));
    b.on('lease', (e) => states.push(`b ${e.state}`));
    a.start();
    await waitUntil(() => states.includes('a acquired'), 10_000);
    b.start();
    for (let i = 0; i < 20; i++) await storeA.append(`c-${i}`, [{ type: 'Counted', data: {} }]);
    const first = await storeA.append('c-x', [{ type: 'Counted', data: {} }]);
    await a.waitFor('counter', first.position);

    await pool.query('SELECT pg_terminate_backend($1)', [await holderPid(schema, 'projection:counter')]);
    // The holder notices at its next renewal and stops writing; then whoever takes the lock first
    // (the same process, with a new connection, or the standby) runs it, with a new fencing token.
    await waitUntil(
      () => states.includes('a lost') && states.filter((s) => s.endsWith('acquired')).length === 2,
      10_000,
    );
    const next = await storeA.append('c-y', [{ type: 'Counted', data: {} }]);
    await a.waitFor('counter', next.position);
    const active = [...(await a.status('counter')), ...(await b.status('counter'))].filter(
      (s) => s.local === 'active',
    );
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ behind: 0 });
    const { rows } = await pool.query<{ token: number }>(
      `SELECT token FROM "${schema}".factum_leases WHERE name = 'projection:counter'`,
    );
    expect(Number(rows[0]?.token)).toBe(2);
    // Every event applied once in the read model, whoever applied it.
    expect(await b.documents('counter_docs').get('all')).toEqual({ n: 22 });
    expect(applied).toBeGreaterThanOrEqual(22);
    await a.stop();
    await b.stop();
  });
});

describe.skipIf(!postgres.available)('PostgreSQL projection storage: clock', () => {
  const { pool, dropLater } = testPool({ max: 4 });
  const nextSchema = schemaNamer('factum_pjclock');

  it("compares leases and lag against the database's clock, not this host's", async () => {
    const schema = nextSchema();
    dropLater(schema);
    const storage = postgresProjectionStorage(await createPostgresStore({ pool, schema, migrate: true }));
    const databaseNow = async () => {
      const { rows } = await pool.query<{ now: number }>(
        'SELECT extract(epoch from clock_timestamp())::float8 * 1000 AS now',
      );
      return Number(rows[0]?.now);
    };
    const hostNow = Date.now.bind(Date);
    // This host's clock runs an hour fast.
    const skew = vi.spyOn(Date, 'now').mockImplementation(() => hostNow() + 3_600_000);
    try {
      await storage.transaction(async () => {}, 'p');
      expect(Math.abs(storage.now() - (await databaseNow()))).toBeLessThan(1_000);
      // A lease taken by this host expires by database time, as every other host reads it.
      const lease = await tryAcquireLease(storage, { name: 'projection:p', scope: 'p' }, 'fast-host', 5_000);
      expect(Math.abs(lease!.expiresAt - ((await databaseNow()) + 5_000))).toBeLessThan(1_000);
    } finally {
      skew.mockRestore();
    }
  });
});

describe.skipIf(!postgres.available)('PostgreSQL projections: closing the store', () => {
  const { dropLater } = testPool({ max: 1 });
  const nextSchema = schemaNamer('factum_pjclose');

  it('closing a store that owns its pool while a runner holds its lease ends the pool, the lock and the runner', async () => {
    const schema = nextSchema();
    dropLater(schema);
    // The store owns this pool: close() ends it, which waits for every connection to come back.
    const store = await createPostgresStore({ connectionString: services.postgres, schema, migrate: true });
    const counter = defineProjection({
      name: 'closing',
      handles: ['Counted'],
      documents: { closing_docs: {} },
      async handle(event, tx) {
        await tx.documents('closing_docs').upsert(event.streamId, { version: event.version });
      },
    });
    const projections = await createProjections(store, { async: [counter] });
    const states: string[] = [];
    projections.on('lease', (e) => states.push(e.state));
    projections.start();
    const { position } = await store.append('c-1', [{ type: 'Counted', data: {} }]);
    await projections.waitFor('closing', position);
    expect(states).toEqual(['acquired']);
    // Without stopping the projections first: the session lock's connection must not keep the pool open.
    await store.close();
    await projections.stop();
    expect((await projections.status().catch((e: unknown) => e)) as Error).toSatisfy((e) =>
      isFactumError(e, ErrorCodes.STORE_CLOSED),
    );
  });
});
