import { createPostgresStore } from 'factum/postgres';
import { postgresProjectionStorage } from 'factum/projections';
import { describe } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { describeProjectionBehaviour } from './support/behaviour.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL projections', () => {
  const { pool, dropLater } = testPool({ max: 10 });
  const nextSchema = schemaNamer('factum_pjbehave');
  describeProjectionBehaviour('the PostgreSQL store', async (options = {}) => {
    const schema = nextSchema();
    dropLater(schema);
    const store = await createPostgresStore({ pool, schema, migrate: true });
    const offset = options.clockOffsetMs;
    // The storage is picked from the store; a test clock that runs ahead makes events look old.
    return {
      store,
      storage:
        offset === undefined
          ? undefined
          : postgresProjectionStorage(store, { now: () => Date.now() + offset }),
    };
  });
});
