import { createPostgresStore } from 'factum/postgres';
import { postgresProjectionStorage } from 'factum/projections';
import { describeProjectionStorageContract } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';

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
    await new Promise((r) => setTimeout(r, 200));
    expect(done).toEqual(['q']);
    release();
    await Promise.all([holder, same, all]);
    expect(done).toEqual(['q', 'p', 'all']);
  });
});
