import { createPostgresStore } from 'factum/postgres';
import { postgresProjectionStorage } from 'factum/projections';
import { describeProjectionStorageContract } from 'factum/testing';
import { describe } from 'vitest';
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
