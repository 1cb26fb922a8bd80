// Projections on the PostgreSQL store, one JSON line: rebuild and catch-up of a simple projection (one
// upsert per event) over 100,000 events, each beside the store's raw readAll rate over the same log in
// the same run. Runs in a fresh schema of FACTUM_PG_URL, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { StoredEvent } from '../src/core/envelope.js';
import { createProjections, defineProjection, type Projection } from '../src/projections/index.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { benchPayload, rate, report, since } from './support.js';

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = Number(process.env.FACTUM_BENCH_PROJECTION_EVENTS ?? 100_000);
const schema = `factum_bench_pj_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({ connectionString: url, max: 8 });
pool.on('error', () => {});

/** One upsert per event: the simplest useful projection. */
function simple(name: string, collection: string): Projection {
  return defineProjection({
    name,
    handles: ['OrderPlaced'],
    documents: { [collection]: { indexes: ['customerId'] } },
    async handle(event: StoredEvent, tx) {
      const data = event.data as { orderId: string; customerId: string; total: number };
      await tx
        .documents(collection)
        .upsert(data.orderId, { orderId: data.orderId, customerId: data.customerId, total: data.total });
    },
  });
}

const open = () => createPostgresStore({ pool, schema, migrate: true });

async function fill(count: number): Promise<void> {
  const store = await open();
  const perAppend = 100;
  for (let i = 0; i < count; i += perAppend) {
    const events = Array.from({ length: Math.min(perAppend, count - i) }, (_, k) => {
      const p = benchPayload(i + k);
      return { type: 'OrderPlaced', data: p.data, metadata: p.metadata };
    });
    await store.append(`order-${i / perAppend}`, events);
  }
  await store.close();
}

async function readAllRate(): Promise<number> {
  const store = await open();
  let n = 0;
  const start = performance.now();
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: 1000 });
    if (page.events.length === 0) break;
    n += page.events.length;
    after = page.last;
  }
  const ms = since(start);
  await store.close();
  return (n / ms) * 1000;
}

async function rebuild(): Promise<{ ms: number; events: number }> {
  const store = await open();
  const projection = simple('bench_rebuild', 'bench_rebuild_docs');
  const projections = await createProjections(store, { async: [projection] });
  const start = performance.now();
  const result = await projections.rebuild(projection.name);
  const ms = since(start);
  const docs = await projections.documents('bench_rebuild_docs').count();
  if (docs !== EVENTS) throw new Error(`rebuild produced ${docs} documents, expected ${EVENTS}`);
  await store.close();
  return { ms, events: result.events };
}

async function catchUp(): Promise<{ ms: number }> {
  const store = await open();
  const projection = simple('bench_catch_up', 'bench_catch_up_docs');
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
  const readRate = await readAllRate();
  const rebuilt = await rebuild();
  const caughtUp = await catchUp();
  const round = Math.round;
  report(
    'projections-postgres',
    {
      rebuild: rate(rebuilt.events, rebuilt.ms, round(readRate), '>= 20,000 events/s'),
      catchUp: rate(EVENTS, caughtUp.ms, round(readRate), '>= 20,000 events/s'),
    },
    { events: EVENTS, readAllRate: round(readRate) },
  );
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await pool.end();
}
