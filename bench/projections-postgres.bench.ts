// Projections on the PostgreSQL store, one JSON line (see runProjectionBench): rebuild and catch-up of
// a simple projection (one upsert per event) over 100,000 events, each beside the store's raw readAll
// rate over the same log in the same run; propagation delay append → async read model committed at a
// steady 500 appends/s, in the same log. The log is a fresh schema of FACTUM_PG_URL, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { runProjectionBench } from './projection-support.js';

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `factum_bench_pj_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({ connectionString: url, max: 8 });
pool.on('error', () => {});

try {
  await runProjectionBench({
    bench: 'projections-postgres',
    open: () => createPostgresStore({ pool, schema, migrate: true }),
    throughputTarget: '>= 20,000 events/s',
    catchUpTimeoutMs: 300_000,
  });
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await pool.end();
}
