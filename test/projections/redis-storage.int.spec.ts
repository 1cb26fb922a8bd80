import { createPostgresStore } from 'factum/postgres';
import { redisProjectionStorage, StaleBatchError } from 'factum/redis';
import { createSqliteStore } from 'factum/sqlite';
import { describeProjectionStorageContract } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { projectionCheckpoint } from '../../src/projections/status.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { probeRedis, testRedis } from '../support/redis.js';

const redis = await probeRedis();
const postgres = await probePostgres();

describe.skipIf(!redis.available)('Redis projection storage beside SQLite', () => {
  const { client, nextPrefix, ready } = testRedis();
  describeProjectionStorageContract('redis + sqlite', async () => {
    await ready;
    const store = createSqliteStore(':memory:');
    return { store, storage: redisProjectionStorage({ client: client(), store, prefix: nextPrefix() }) };
  });
});

describe.skipIf(!redis.available || !postgres.available)('Redis projection storage beside PostgreSQL', () => {
  const { client, nextPrefix, ready } = testRedis();
  const { pool, dropLater } = testPool({ max: 10 });
  const nextSchema = schemaNamer('factum_redis');
  describeProjectionStorageContract('redis + postgres', async () => {
    await ready;
    const schema = nextSchema();
    dropLater(schema);
    const store = await createPostgresStore({ pool, schema, migrate: true });
    return { store, storage: redisProjectionStorage({ client: client(), store, prefix: nextPrefix() }) };
  });
});

describe.skipIf(!redis.available)('Redis projection storage: batches and index sets', () => {
  const { client, nextPrefix, ready } = testRedis();
  const layout = {
    projection: 'orders',
    generation: 1,
    documents: { orders: { indexes: ['status'] } },
    tables: [],
  };
  const open = async () => {
    await ready;
    const store = createSqliteStore(':memory:');
    const prefix = nextPrefix();
    const storage = redisProjectionStorage({ client: client(), store, prefix });
    await storage.transaction(async (tx) => {
      await tx.createGeneration(layout);
      await tx.publishGeneration(layout);
    });
    return { store, storage, prefix };
  };
  const batch = (storage: ReturnType<typeof redisProjectionStorage>, position: bigint, status: string) =>
    storage.batch('orders', {
      check: async () => {},
      work: async (tx) => {
        await tx.call(() => tx.projectionTx(layout).documents('orders').upsert('o1', { status }));
      },
      commit: (tx) => tx.setCheckpoint(projectionCheckpoint('orders', 1), position),
    });

  it('refuses a batch at or below the stored checkpoint, writing nothing of it', async () => {
    const { store, storage } = await open();
    await batch(storage, 10n, 'placed');
    await expect(batch(storage, 10n, 'shipped')).rejects.toBeInstanceOf(StaleBatchError);
    await expect(batch(storage, 9n, 'shipped')).rejects.toBeInstanceOf(StaleBatchError);
    const position = await storage.read((tx) => tx.getCheckpoint(projectionCheckpoint('orders', 1)));
    expect(position).toBe(10n);
    await storage.read(async (tx) => {
      expect(await tx.projectionTx(layout).documents('orders').get('o1')).toEqual({ status: 'placed' });
    });
    // Past 2^53 positions still compare exactly.
    await batch(storage, 2n ** 60n + 1n, 'shipped');
    await expect(batch(storage, 2n ** 60n, 'lost')).rejects.toBeInstanceOf(StaleBatchError);
    await store.close();
  });

  it('moves an id between index sets when its indexed value changes, and out on delete', async () => {
    const { store, storage, prefix } = await open();
    await batch(storage, 1n, 'placed');
    await batch(storage, 2n, 'shipped');
    const sets = async () => {
      const keys = await client().keys(`${prefix}:{orders}:g1.*:orders:i:*`);
      const out: Record<string, string[]> = {};
      for (const k of keys) out[k.slice(k.indexOf(':i:') + 3)] = await client().sMembers(k);
      return out;
    };
    expect(await sets()).toEqual({ '0:["shipped"]': ['o1'] });
    await storage.transaction((tx) =>
      tx
        .projectionTx(layout)
        .documents('orders')
        .delete('o1')
        .then(() => {}),
    );
    expect(await sets()).toEqual({});
    await store.close();
  });

  it('finds documents by indexed values that JSON escapes (quotes, backslashes, controls, lone surrogates)', async () => {
    const { store, storage } = await open();
    const values = ['say "hi"', 'back\\slash', 'line\nbreak\u0001', 'lone \ud800 half', 'ü ∑ 😀'];
    await storage.transaction(async (tx) => {
      const orders = tx.projectionTx(layout).documents('orders');
      for (const [n, status] of values.entries()) await orders.upsert(`o${n}`, { status });
    });
    await storage.read(async (tx) => {
      const orders = tx.projectionTx(layout).documents('orders');
      for (const status of values) expect(await orders.find({ status })).toEqual([{ status }]);
    });
    // Moved out of its set and into another.
    await storage.transaction((tx) =>
      tx.projectionTx(layout).documents('orders').upsert('o0', { status: 'lone \udc00' }),
    );
    await storage.read(async (tx) => {
      const orders = tx.projectionTx(layout).documents('orders');
      expect(await orders.find({ status: values[0]! })).toEqual([]);
      expect(await orders.count({ status: 'lone \udc00' })).toBe(1);
    });
    await store.close();
  });

  it('refuses a batch whose generation another writer made again or gave new indexes after it was read, then reads it again', async () => {
    const { store, storage, prefix } = await open();
    const other = redisProjectionStorage({ client: client(), store, prefix });
    // The first batch reads the generation; the next ones use what it read.
    await batch(storage, 1n, 'placed');
    const indexed = { ...layout, documents: { orders: { indexes: ['status', 'kind'] } } };
    await other.transaction((tx) => tx.createGeneration(indexed));
    await expect(batch(storage, 2n, 'shipped')).rejects.toThrow(/meta changed after the batch read it/);
    await batch(storage, 2n, 'shipped');
    expect(await client().keys(`${prefix}:{orders}:g1.*:orders:i:1:*`)).toHaveLength(1);

    // Made again: a new epoch, which the next batch is refused for, and then writes.
    await other.transaction(async (tx) => {
      await tx.dropGeneration(indexed);
      await tx.createGeneration(indexed);
      await tx.publishGeneration(indexed);
    });
    const refused = await batch(storage, 3n, 'delivered').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StaleBatchError);
    expect(refused).toMatchObject({ code: 'FACTUM_STALE_BATCH', stored: undefined });
    await batch(storage, 3n, 'delivered');
    await storage.read(async (tx) => {
      expect(await tx.projectionTx(indexed).documents('orders').find({ status: 'delivered' })).toEqual([
        { status: 'delivered' },
      ]);
    });
    await store.close();
  });
});
