// Projections on the PostgreSQL store, one JSON line: rebuild and catch-up of a simple projection (one
// upsert per event) over 100,000 events, each beside the store's raw readAll rate over the same log in
// the same run. Runs in a fresh schema of FACTUM_PG_URL, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createProjections } from '../src/projections/index.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { fillLog, readAllRate, simpleProjection, timeRebuild } from './projection-support.js';
import { rate, report, since } from './support.js';

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = Number(process.env.FACTUM_BENCH_PROJECTION_EVENTS ?? 100_000);
const schema = `factum_bench_pj_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({ connectionString: url, max: 8 });
pool.on('error', () => {});

/** One upsert per event: the simplest useful projection. */
const open = () => createPostgresStore({ pool, schema, migrate: true });

async function catchUp(): Promise<{ ms: number }> {
  const store = await open();
  const projection = simpleProjection('bench_catch_up', 'bench_catch_up_docs');
  const projections = await createProjections(store, { async: [projection] });
  const head = (await projections.status('bench_catch_up'))[0]!.head;
  const start = performance.now();
  projections.start();
  await projections.waitFor(projection.name, head, { timeoutMs: 300_000 });
  const ms = since(start);
  await projections.stop();
  await store.close();
  return { ms };
}

try {
  await fill(EVENTS);
  const readAllEventsPerSecond = await readRate();
  const rebuilt = await rebuild();
  const caughtUp = await catchUp();
  const round = Math.round;
  report(
    'projections-postgres',
    {
      rebuild: rate(rebuilt.events, rebuilt.ms, round(readAllEventsPerSecond), '>= 20,000 events/s'),
      catchUp: rate(EVENTS, caughtUp.ms, round(readAllEventsPerSecond), '>= 20,000 events/s'),
    },
    { events: EVENTS, readAllRate: round(readAllEventsPerSecond) },
  );
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await pool.end();
}

async function fill(count: number): Promise<void> {
  const store = await open();
  await fillLog(store, count);
  await store.close();
}

async function readRate(): Promise<number> {
  const store = await open();
  const rate = await readAllRate(store);
  await store.close();
  return rate;
}

async function rebuild(): Promise<{ ms: number; events: number }> {
  const store = await open();
  const result = await timeRebuild(store, EVENTS);
  await store.close();
  return result;
}
