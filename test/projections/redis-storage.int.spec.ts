import { createPostgresStore } from 'factum/postgres';
import { redisProjectionStorage } from 'factum/redis';
import { createSqliteStore } from 'factum/sqlite';
import { describeProjectionStorageContract } from 'factum/testing';
import { describe } from 'vitest';
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
