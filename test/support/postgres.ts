import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { probeService, services } from './services.js';

/** Whether PostgreSQL answers (skips or fails per FACTUM_REQUIRE_SERVICES); probe once per spec file. */
export async function probePostgres() {
  return probeService('PostgreSQL', services.postgres, async () => {
    const client = new pg.Client({ connectionString: services.postgres, connectionTimeoutMillis: 4000 });
    await client.connect();
    try {
      await client.query('SELECT 1');
    } finally {
      await client.end();
    }
  });
}

/** A fresh schema name for one test run: factum_test_<random>_<n>. */
export function schemaNamer(prefix = 'factum_test'): () => string {
  const run = randomBytes(4).toString('hex');
  let n = 0;
  return () => `${prefix}_${run}_${++n}`;
}

/**
 * A pg pool for one spec file, ended after the file; every schema handed to `dropLater` is dropped
 * first. Idle-connection errors are expected in the tests that terminate backends.
 */
export function testPool(config: pg.PoolConfig = {}): { pool: pg.Pool; dropLater: (schema: string) => void } {
  const pool = new pg.Pool({ connectionString: services.postgres, max: 8, ...config });
  pool.on('error', () => {});
  const schemas: string[] = [];
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: services.postgres });
    await admin.connect();
    try {
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
    }
    await pool.end();
  });
  return { pool, dropLater: (schema) => schemas.push(schema) };
}
