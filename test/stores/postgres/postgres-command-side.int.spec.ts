import { createPostgresStore } from 'factum/postgres';
import { describeCommandSideContract } from 'factum/testing';
import { describe } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL store, command side', () => {
  const { pool, dropLater } = testPool({ max: 8 });
  const nextSchema = schemaNamer('factum_cs');
  describeCommandSideContract('postgres', async () => {
    const schema = nextSchema();
    dropLater(schema);
    return createPostgresStore({ pool, schema, migrate: true });
  });
});
