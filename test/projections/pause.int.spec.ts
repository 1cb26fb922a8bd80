import { join } from 'node:path';
import { createMemoryStore, type EventStore } from 'factum';
import { createPostgresStore } from 'factum/postgres';
import {
  createProjections,
  defineProjection,
  memoryProjectionStorage,
  type ProjectionsTarget,
  pauseProjection,
  projectionStatus,
  resumeProjection,
} from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';

interface Target {
  store: EventStore;
  /** Where the projections run. */
  own: ProjectionsTarget;
  /** Where an operator acts from: another connection to the same database where there is one. */
  operator: () => Promise<{ target: ProjectionsTarget; close: () => Promise<void> }>;
}

const counted = () =>
  defineProjection({
    name: 'counted',
    handles: ['Counted'],
    documents: { counts: {} },
    async handle(_event, tx) {
      const counts = tx.documents<{ n: number }>('counts');
      const now = (await counts.get('all'))?.n ?? 0;
      await counts.upsert('all', { n: now + 1 });
    },
  });

function describePause(name: string, skip: boolean, open: () => Promise<Target>) {
  describe.skipIf(skip)(`pausing a projection (${name})`, () => {
    it('stops its runner at the next batch, keeps the read model as it was, and resumes from the checkpoint', async () => {
      const { store, own, operator } = await open();
      const projections = await createProjections(store, {
        async: [counted()],
        ...(own === store ? {} : { storage: own as never }),
        monitorEveryMs: 50,
        lease: { strategy: 'row', ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 },
      });
      projections.start();
      const count = async () => (await projections.documents<{ n: number }>('counts').get('all'))?.n ?? 0;
      const ops = await operator();
      try {
        for (let i = 0; i < 3; i++) await store.append(`c-${i}`, [{ type: 'Counted', data: {} }]);
        await waitUntil(async () => (await count()) === 3, 10_000);

        await pauseProjection(ops.target, 'counted', { actor: 'ops', reason: 'investigating totals' });
        const [paused] = await projectionStatus(ops.target, { name: 'counted' });
        expect(paused?.paused).toMatchObject({ by: 'ops', reason: 'investigating totals' });
        for (let i = 3; i < 5; i++) await store.append(`c-${i}`, [{ type: 'Counted', data: {} }]);
        // The runner tries the next batch, finds the projection paused, and waits holding its lease.
        await waitUntil(async () => (await projections.status('counted'))[0]?.local === 'paused', 10_000);
        expect(await count()).toBe(3);
        const [waiting] = await projectionStatus(ops.target, { name: 'counted' });
        expect(waiting?.behind).toBe(2);
        expect(waiting?.runner?.alive).toBe(true);

        await resumeProjection(ops.target, 'counted');
        await waitUntil(async () => (await count()) === 5, 10_000);
        const [resumed] = await projectionStatus(ops.target, { name: 'counted' });
        expect(resumed?.paused).toBeNull();
        expect(resumed?.behind).toBe(0);
        expect((await projections.status('counted'))[0]?.local).toBe('active');
      } finally {
        await projections.stop();
        await ops.close();
        await store.close();
      }
    });

    it('refuses a pause without a reason or of a projection that does not exist', async () => {
      const { store, own } = await open();
      const projections = await createProjections(store, {
        async: [counted()],
        ...(own === store ? {} : { storage: own as never }),
      });
      try {
        await expect(pauseProjection(own, 'counted', { actor: 'ops', reason: ' ' })).rejects.toMatchObject({
          code: 'FACTUM_INVALID_ARGUMENT',
        });
        await expect(pauseProjection(own, 'nope', { actor: 'ops', reason: 'x' })).rejects.toMatchObject({
          code: 'FACTUM_PROJECTION_NOT_FOUND',
        });
        await expect(resumeProjection(own, 'nope')).rejects.toMatchObject({
          code: 'FACTUM_PROJECTION_NOT_FOUND',
        });
        // Registering the projection again (a restart) keeps the pause.
        await pauseProjection(own, 'counted', { actor: 'ops', reason: 'kept' });
        await createProjections(store, {
          async: [counted()],
          ...(own === store ? {} : { storage: own as never }),
        });
        expect((await projectionStatus(own, { name: 'counted' }))[0]?.paused?.reason).toBe('kept');
      } finally {
        await projections.stop();
        await store.close();
      }
    });
  });
}

describePause('memory', false, async () => {
  const store = createMemoryStore();
  const storage = memoryProjectionStorage(store);
  return { store, own: storage, operator: async () => ({ target: storage, close: async () => {} }) };
});

const dir = tempDir('factum-pause-');
let n = 0;
describePause('SQLite', false, async () => {
  const file = join(dir, `pause-${++n}.db`);
  const store = createSqliteStore(file);
  return {
    store,
    own: store,
    operator: async () => {
      const other = createSqliteStore(file);
      return { target: other, close: () => other.close() };
    },
  };
});

const postgres = await probePostgres();
const { pool, dropLater } = testPool();
const nextSchema = schemaNamer('factum_pause');
describePause('PostgreSQL', !postgres.available, async () => {
  const schema = nextSchema();
  dropLater(schema);
  const store = await createPostgresStore({ pool, schema, migrate: true });
  return {
    store,
    own: store,
    operator: async () => ({ target: await createPostgresStore({ pool, schema }), close: async () => {} }),
  };
});
