// Projections on the SQLite store, one JSON line.
// (a) rebuild of a simple projection (one upsert per event) over 100,000 events, beside the store's raw
//     readAll rate over the same log in the same run; (b) catch-up of a new async projection from 0;
// (c) propagation delay append → async read model committed, at a steady 500 appends/s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '../src/core/envelope.js';
import { createProjections, defineProjection, type Projection } from '../src/projections/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { benchPayload, type Figure, percentile, rate, report, since } from './support.js';

const synchronous = (process.env.FACTUM_BENCH_SYNC ?? 'FULL') as 'FULL' | 'NORMAL';
const EVENTS = Number(process.env.FACTUM_BENCH_PROJECTION_EVENTS ?? 100_000);
const APPENDS_PER_SECOND = 500;
const PROPAGATION_SECONDS = Number(process.env.FACTUM_BENCH_PROPAGATION_SECONDS ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'factum-bench-projections-'));

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

async function fill(file: string, count: number): Promise<void> {
  const store = createSqliteStore(file, { synchronous });
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

async function readAllRate(file: string): Promise<number> {
  const store = createSqliteStore(file, { synchronous });
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

async function rebuild(file: string): Promise<{ ms: number; events: number }> {
  const store = createSqliteStore(file, { synchronous });
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

async function catchUp(file: string): Promise<{ ms: number }> {
  const store = createSqliteStore(file, { synchronous });
  const projection = simple('bench_catch_up', 'bench_catch_up_docs');
  const projections = await createProjections(store, { async: [projection] });
  const head = (await projections.status('bench_catch_up'))[0]!.head;
  const start = performance.now();
  projections.start();
  await projections.waitFor(projection.name, head, { timeoutMs: 120_000 });
  const ms = since(start);
  await projections.stop();
  await store.close();
  return { ms };
}

async function propagation(
  file: string,
): Promise<{ p50: number; p99: number; max: number; samples: number }> {
  const store = createSqliteStore(file, { synchronous });
  const projection = simple('bench_live', 'bench_live_docs');
  const projections = await createProjections(store, { async: [projection] });
  const sentAt = new Map<bigint, number>();
  const delays: number[] = [];
  projections.on('checkpoint', ({ position }) => {
    const now = performance.now();
    for (const [p, t] of sentAt) {
      if (p > position) continue;
      delays.push(now - t);
      sentAt.delete(p);
    }
  });
  projections.start();
  const total = APPENDS_PER_SECOND * PROPAGATION_SECONDS;
  const interval = 1000 / APPENDS_PER_SECOND;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const p = benchPayload(i);
    const t = performance.now();
    const { position } = await store.append(`live-${i % 500}`, [
      { type: 'OrderPlaced', data: p.data, metadata: p.metadata },
    ]);
    sentAt.set(position, t);
  }
  const head = (await projections.status('bench_live'))[0]!.head;
  await projections.waitFor(projection.name, head, { timeoutMs: 30_000 });
  await projections.stop();
  await store.close();
  delays.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    p50: round(percentile(delays, 50)),
    p99: round(percentile(delays, 99)),
    max: round(delays.at(-1) ?? Number.NaN),
    samples: delays.length,
  };
}

try {
  const file = join(dir, 'log.db');
  await fill(file, EVENTS);
  const readRate = await readAllRate(file);
  const rebuilt = await rebuild(file);
  const caughtUp = await catchUp(file);
  const live = await propagation(join(dir, 'live.db'));
  const round = Math.round;
  const delay: Figure = { value: live.p99, unit: 'ms', p50: live.p50, max: live.max, target: 'p99 < 50 ms' };
  report(
    'projections-sqlite',
    {
      rebuild: rate(rebuilt.events, rebuilt.ms, round(readRate), '>= 50,000 events/s'),
      catchUp: rate(EVENTS, caughtUp.ms, round(readRate), '>= 50,000 events/s'),
      propagationP99: delay,
    },
    {
      synchronous,
      events: EVENTS,
      appendsPerSecond: APPENDS_PER_SECOND,
      propagationSamples: live.samples,
      readAllRate: round(readRate),
    },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
