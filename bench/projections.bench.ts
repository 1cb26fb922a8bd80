// Projections on the SQLite store, one JSON line.
// (a) rebuild of a simple projection (one upsert per event) over 100,000 events, beside the store's raw
//     readAll rate over the same log in the same run; (b) catch-up of a new async projection from 0;
// (c) propagation delay append → async read model committed, at a steady 500 appends/s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createProjections } from '../src/projections/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { fillLog, readAllRate, simpleProjection, timeRebuild } from './projection-support.js';
import { benchPayload, type Figure, percentile, rate, report, since } from './support.js';

const synchronous = (process.env.FACTUM_BENCH_SYNC ?? 'FULL') as 'FULL' | 'NORMAL';
const EVENTS = Number(process.env.FACTUM_BENCH_PROJECTION_EVENTS ?? 100_000);
const APPENDS_PER_SECOND = 500;
const PROPAGATION_SECONDS = Number(process.env.FACTUM_BENCH_PROPAGATION_SECONDS ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'factum-bench-projections-'));

/** One upsert per event: the simplest useful projection. */
async function catchUp(file: string): Promise<{ ms: number }> {
  const store = createSqliteStore(file, { synchronous });
  const projection = simpleProjection('bench_catch_up', 'bench_catch_up_docs');
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

interface Latencies {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

function latencies(values: number[]): Latencies {
  values.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    p50: round(percentile(values, 50)),
    p99: round(percentile(values, 99)),
    max: round(values.at(-1) ?? Number.NaN),
    samples: values.length,
  };
}

/**
 * A steady 500 appends/s for PROPAGATION_SECONDS, the runner in the same process. For each append:
 * `append` = call to acknowledgement (the store's own durable commit); `propagation` = acknowledgement
 * to the commit of the projection batch holding it (0 when the batch committed first); `endToEnd` =
 * call to that commit.
 */
async function propagation(
  file: string,
): Promise<{ append: Latencies; propagation: Latencies; endToEnd: Latencies; loopDelay: Latencies }> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const store = createSqliteStore(file, { synchronous });
  const projection = simpleProjection('bench_live', 'bench_live_docs');
  const projections = await createProjections(store, { async: [projection] });
  const pending = new Map<bigint, { calledAt: number; ackedAt: number }>();
  const append: number[] = [];
  const propagated: number[] = [];
  const endToEnd: number[] = [];
  let committed = 0n;
  let committedAt = 0;
  projections.on('checkpoint', ({ position }) => {
    const now = performance.now();
    committed = position;
    committedAt = now;
    for (const [p, t] of pending) {
      if (p > position) continue;
      propagated.push(now - t.ackedAt);
      endToEnd.push(now - t.calledAt);
      pending.delete(p);
    }
  });
  projections.start();
  loop.enable();
  const total = APPENDS_PER_SECOND * PROPAGATION_SECONDS;
  const interval = 1000 / APPENDS_PER_SECOND;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const p = benchPayload(i);
    const calledAt = performance.now();
    const { position } = await store.append(`live-${i % 500}`, [
      { type: 'OrderPlaced', data: p.data, metadata: p.metadata },
    ]);
    const ackedAt = performance.now();
    append.push(ackedAt - calledAt);
    if (position <= committed) {
      // The batch holding it committed before the writer saw its acknowledgement.
      propagated.push(0);
      endToEnd.push(committedAt - calledAt);
    } else {
      pending.set(position, { calledAt, ackedAt });
    }
  }
  const head = (await projections.status('bench_live'))[0]!.head;
  await projections.waitFor(projection.name, head, { timeoutMs: 30_000 });
  await projections.stop();
  await store.close();
  loop.disable();
  const ms = (ns: number) => Math.round(ns / 10_000) / 100;
  const loopDelay = {
    p50: ms(loop.percentile(50)),
    p99: ms(loop.percentile(99)),
    max: ms(loop.max),
    samples: loop.count,
  };
  return {
    append: latencies(append),
    propagation: latencies(propagated),
    endToEnd: latencies(endToEnd),
    loopDelay,
  };
}

try {
  const file = join(dir, 'log.db');
  await fill(file, EVENTS);
  const readAllEventsPerSecond = await readRate(file);
  const rebuilt = await rebuild(file);
  const caughtUp = await catchUp(file);
  const live = await propagation(join(dir, 'live.db'));
  const round = Math.round;
  const ms = (l: Latencies, target?: string): Figure => ({
    value: l.p99,
    unit: 'ms (p99)',
    p50: l.p50,
    max: l.max,
    ...(target === undefined ? {} : { target }),
  });
  report(
    'projections-sqlite',
    {
      rebuild: rate(rebuilt.events, rebuilt.ms, round(readAllEventsPerSecond), '>= 50,000 events/s'),
      catchUp: rate(EVENTS, caughtUp.ms, round(readAllEventsPerSecond), '>= 50,000 events/s'),
      propagationP99: ms(live.propagation, 'p99 < 50 ms'),
      endToEndP99: ms(live.endToEnd),
      appendP99: ms(live.append),
      // How late this process's event loop ran (timer resolution 5 ms): a busy machine shows here first.
      eventLoopDelayP99: ms(live.loopDelay),
    },
    {
      synchronous,
      events: EVENTS,
      appendsPerSecond: APPENDS_PER_SECOND,
      propagationSamples: live.propagation.samples,
      readAllRate: round(readAllEventsPerSecond),
    },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function fill(file: string, count: number): Promise<void> {
  const store = createSqliteStore(file, { synchronous });
  await fillLog(store, count);
  await store.close();
}

async function readRate(file: string): Promise<number> {
  const store = createSqliteStore(file, { synchronous });
  const rate = await readAllRate(store);
  await store.close();
  return rate;
}

async function rebuild(file: string): Promise<{ ms: number; events: number }> {
  const store = createSqliteStore(file, { synchronous });
  const result = await timeRebuild(store, EVENTS);
  await store.close();
  return result;
}
