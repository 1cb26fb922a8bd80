// PostgreSQL single-event append throughput against the number of concurrent writers (1, 4, 16, 64):
// the curve of the store's group commit. Each writer appends one event at a time to its own streams
// (4,000 appends per point, spread over 1,000 streams), awaiting each append before the next. Raw at
// the same concurrency: one INSERT per transaction, one pooled connection per writer, into a table
// of the same shape (same columns, constraints and indexes; rows numbered by a bigserial). Each
// point is the best of FACTUM_BENCH_ROUNDS (default 3) rounds, raw and Factum interleaved
// (alternating which goes first). Factum runs with its defaults (maxConcurrentAppends 2);
// FACTUM_BENCH_APPENDS overrides that. A fresh schema per run, dropped at the end.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { newEventId } from '../src/core/ids.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { createRawEventsTable, rawInsertOne } from './postgres-raw.js';
import { benchPayload, type Figure, parallel, rate, report } from './support.js';

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.FACTUM_BENCH_ROUNDS ?? 3);
const WRITERS = [1, 4, 16, 64];
const APPENDS = 4_000;
const STREAMS = 1_000;

const schema = `factum_bench_${randomBytes(4).toString('hex')}`;
const q = `"${schema}"`;
const pool = new pg.Pool({ connectionString: url, max: Math.max(...WRITERS) + 2 });
pool.on('error', () => {});

async function raw(writers: number, round: number): Promise<number> {
  const table = await createRawEventsTable(pool, `${q}.raw_${writers}_${round}`);
  const text = rawInsertOne(table);
  const ms = await parallel(APPENDS, writers, async (i) => {
    const p = benchPayload(i);
    await pool.query({
      name: `raw_${writers}_${round}`,
      text,
      values: [
        newEventId(),
        `order-${i % STREAMS}`,
        Math.floor(i / STREAMS) + 1,
        JSON.stringify(p.data),
        JSON.stringify(p.metadata),
      ],
    });
  });
  return (APPENDS / ms) * 1000;
}

async function factum(writers: number, round: number): Promise<number> {
  const maxConcurrentAppends =
    process.env.FACTUM_BENCH_APPENDS === undefined ? undefined : Number(process.env.FACTUM_BENCH_APPENDS);
  const store = await createPostgresStore({
    pool,
    schema: `${schema}_${writers}_${round}`,
    migrate: true,
    ...(maxConcurrentAppends === undefined ? {} : { maxConcurrentAppends }),
  });
  const ms = await parallel(APPENDS, writers, async (i) => {
    const p = benchPayload(i);
    await store.append(`order-${i % STREAMS}`, [{ type: 'OrderPlaced', data: p.data, metadata: p.metadata }]);
  });
  await store.close();
  return (APPENDS / ms) * 1000;
}

try {
  await pool.query(`CREATE SCHEMA ${q}`);
  const figures: Record<string, Figure> = {};
  for (const writers of WRITERS) {
    const raws: number[] = [];
    const factums: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        raws.push(await raw(writers, round));
        factums.push(await factum(writers, round));
      } else {
        factums.push(await factum(writers, round));
        raws.push(await raw(writers, round));
      }
    }
    const best = Math.max(...factums);
    figures[`writers${writers}`] = rate(APPENDS, (APPENDS / best) * 1000, Math.round(Math.max(...raws)));
  }
  report('postgres-writers', figures, {
    server: (await pool.query('SHOW server_version')).rows[0].server_version,
    synchronousCommit: (await pool.query('SHOW synchronous_commit')).rows[0].synchronous_commit,
    rounds: ROUNDS,
    maxConcurrentAppends: process.env.FACTUM_BENCH_APPENDS ?? 'default (2)',
    appendsPerPoint: APPENDS,
    streams: STREAMS,
    writers: WRITERS,
  });
} finally {
  const { rows } = await pool.query<{ name: string }>(
    "SELECT nspname AS name FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $1 || '\\_%'",
    [schema],
  );
  for (const { name } of rows) await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await pool.end();
}
