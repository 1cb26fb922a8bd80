// What an inline projection costs an append, on SQLite and PostgreSQL: 16 concurrent writers append
// single events to 800 streams for a fixed time, with and without one inline projection (one
// document upsert per event), interleaved over FACTUM_BENCH_ROUNDS rounds (default 3, best of each).
// No target: the figure to watch is the ratio (appends/s with the projection ÷ without).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { EventStore } from '../src/core/store.js';
import { createProjections, defineProjection } from '../src/projections/index.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { type Figure, rate, report } from './support.js';

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.FACTUM_BENCH_ROUNDS ?? 3);
const WRITERS = 16;
const STREAMS = 800;
const SECONDS = 3;

const latest = defineProjection({
  name: 'latest',
  handles: ['Recorded'],
  documents: { latest: {} },
  async handle(event, tx) {
    await tx.documents('latest').upsert(event.streamId, { version: event.version, data: event.data });
  },
});

/** Appends for SECONDS seconds from WRITERS writers; returns [count, ms]. */
async function appendFor(store: EventStore): Promise<[number, number]> {
  let count = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        await store.append(`s-${(w * 50 + i) % STREAMS}`, [{ type: 'Recorded', data: { w, i } }]);
        count++;
      }
    }),
  );
  return [count, performance.now() - start];
}

async function measure(open: () => Promise<EventStore>, inline: boolean): Promise<number> {
  const store = await open();
  try {
    if (inline) await createProjections(store, { inline: [latest] });
    const [count, ms] = await appendFor(store);
    return rate(count, ms).value;
  } finally {
    await store.close();
  }
}

async function compare(open: (round: number, inline: boolean) => Promise<EventStore>): Promise<Figure> {
  let plain = 0;
  let inline = 0;
  for (let round = 0; round < ROUNDS; round++) {
    plain = Math.max(plain, await measure(() => open(round, false), false));
    inline = Math.max(inline, await measure(() => open(round, true), true));
  }
  return { ...rate(inline * SECONDS, SECONDS * 1000, plain), plain };
}

const dir = mkdtempSync(join(tmpdir(), 'factum-bench-inline-'));
const pool = new pg.Pool({ connectionString: url, max: 12 });
pool.on('error', () => {});
const schemas: string[] = [];
try {
  const sqlite = await compare(async (round, inline) =>
    createSqliteStore(join(dir, `inline-${round}-${inline}.db`)),
  );
  const postgres = await compare(async () => {
    const schema = `factum_bench_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    return createPostgresStore({ pool, schema, migrate: true });
  });
  report('inline-projections', { sqlite, postgres }, { writers: WRITERS, seconds: SECONDS });
} finally {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
}
