import { createPostgresStore } from 'factum/postgres';
import { describeEventStoreContract } from 'factum/testing';
import { describe } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL store', () => {
  const { pool, dropLater } = testPool({ max: 12 });
  const nextSchema = schemaNamer();
  describeEventStoreContract('postgres', async () => {
    const schema = nextSchema();
    dropLater(schema);
    return createPostgresStore({ pool, schema, migrate: true });
  });
});
