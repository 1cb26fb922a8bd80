import { join } from 'node:path';
import { createMemoryStore } from 'factum';
import { createPostgresStore } from 'factum/postgres';
import { createSqliteStore } from 'factum/sqlite';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';
import { describeSagaBehaviour } from './support/behaviour.js';

describeSagaBehaviour('memory', false, async () => {
  const store = createMemoryStore();
  return { store, reopen: async () => store, close: () => store.close() };
});

const dir = tempDir('factum-sagas-');
let n = 0;
describeSagaBehaviour('SQLite', false, async () => {
  const file = join(dir, `sagas-${++n}.db`);
  const store = createSqliteStore(file);
  return { store, reopen: async () => createSqliteStore(file), close: () => store.close() };
});

const postgres = await probePostgres();
const { pool, dropLater } = testPool({ max: 12 });
const nextSchema = schemaNamer('factum_sagas');
describeSagaBehaviour('PostgreSQL', !postgres.available, async () => {
  const schema = nextSchema();
  dropLater(schema);
  const store = await createPostgresStore({ pool, schema, migrate: true });
  return {
    store,
    reopen: () => createPostgresStore({ pool, schema }),
    close: async () => {},
  };
});
