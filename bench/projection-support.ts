import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { StoredEvent } from '../src/core/envelope.js';
import type { EventStore } from '../src/core/store.js';
import { createProjections, defineProjection, type Projection } from '../src/projections/index.js';
import { benchPayload, type Figure, percentile, rate, readLog, report, since } from './support.js';

/** The benchmarked projection: one upsert per OrderPlaced event, one declared index. */
export function simpleProjection(name: string, collection: string): Projection {
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

/** Appends `count` benchmark events in appends of 100 (one stream per append). */
export async function fillLog(store: EventStore, count: number): Promise<void> {
  const perAppend = 100;
  for (let i = 0; i < count; i += perAppend) {
    const events = Array.from({ length: Math.min(perAppend, count - i) }, (_, k) => {
      const p = benchPayload(i + k);
      return { type: 'OrderPlaced', data: p.data, metadata: p.metadata };
    });
    await store.append(`order-${i / perAppend}`, events);
  }
}

/** Events per second of paging through the whole log with readAll (pages of 1,000). */
export async function readAllRate(store: EventStore): Promise<number> {
  const { events, ms } = await readLog(store);
  return (events / ms) * 1000;
}

/** Times a rebuild of the simple projection over the whole log and checks it produced `expected` documents. */
export async function timeRebuild(
  store: EventStore,
  expected: number,
): Promise<{ ms: number; events: number }> {
  const projection = simpleProjection('bench_rebuild', 'bench_rebuild_docs');
  const projections = await createProjections(store, { async: [projection] });
  const start = performance.now();
  const result = await projections.rebuild(projection.name);
  const ms = since(start);
  const docs = await projections.documents('bench_rebuild_docs').count();
  if (docs !== expected) throw new Error(`rebuild produced ${docs} documents, expected ${expected}`);
  return { ms, events: result.events };
}

/** Times a new async projection, started on the whole log, until `waitFor(head)` resolves. */
export async function timeCatchUp(store: EventStore, timeoutMs: number): Promise<{ ms: number }> {
  const projection = simpleProjection('bench_catch_up', 'bench_catch_up_docs');
  const projections = await createProjections(store, { async: [projection] });
  const head = (await projections.status(projection.name))[0]!.head;
  const start = performance.now();
  projections.start();
  await projections.waitFor(projection.name, head, { timeoutMs });
  const ms = since(start);
  await projections.stop();
  return { ms };
}

/** One page of the log as the plain driver reads it: each event's data (parsed) and the last position. */
export interface RawPage {
  data: unknown[];
  last: number;
}

/**
 * The raw ceiling of the projection benchmark, one store's plain driver: tables of the same shape as
 * Factum's read model (the document table with its declared index, a checkpoint table), written as
 * durably as Factum writes its projection transactions.
 */
export interface RawProjector {
  /** Creates the (empty) document table, its index and the checkpoint table. */
  setup(): Promise<void> | void;
  /** The events after position `after`, at most `limit`, in position order: one plain SELECT. */
  read(after: number, limit: number): Promise<RawPage> | RawPage;
  /** Upserts the documents ([id, JSON text]) and sets the checkpoint to `position`, one transaction. */
  write(docs: readonly [string, string][], position: number): Promise<void> | void;
  /** The documents in the table (checked after the run). */
  count(): Promise<number> | number;
  /** Drops the tables, closes its connection. */
  close(): Promise<void> | void;
}

export interface RawProjectTiming {
  ms: number;
  /** Time spent in the reads (SELECT and JSON.parse of data), in building the documents' JSON text, in the writes. */
  readMs: number;
  buildMs: number;
  writeMs: number;
}

/**
 * The simple projection done by the plain driver: pages of `pageSize` read with a plain SELECT, each
 * event's data parsed, the same document JSON text built as the projection's upsert stores, the page's
 * documents upserted and the checkpoint set in one transaction. With `prefetch` the next page is read
 * while this one is written, as Factum's runner and rebuild do where reads wait on a server; read and
 * write times are then each summed on their own and overlap.
 */
export async function timeRawProject(
  raw: RawProjector,
  expected: number,
  prefetch: boolean,
  pageSize = 2_000,
): Promise<RawProjectTiming> {
  await raw.setup();
  let readMs = 0;
  let buildMs = 0;
  let writeMs = 0;
  const read = async (after: number): Promise<RawPage> => {
    const t = performance.now();
    const page = await raw.read(after, pageSize);
    readMs += since(t);
    return page;
  };
  const start = performance.now();
  let next = read(0);
  for (;;) {
    const page = await next;
    if (page.data.length === 0) break;
    if (prefetch) next = read(page.last);
    let t = performance.now();
    const docs: [string, string][] = new Array(page.data.length);
    for (let i = 0; i < page.data.length; i++) {
      const data = page.data[i] as { orderId: string; customerId: string; total: number };
      docs[i] = [
        data.orderId,
        JSON.stringify({ orderId: data.orderId, customerId: data.customerId, total: data.total }),
      ];
    }
    buildMs += since(t);
    t = performance.now();
    await raw.write(docs, page.last);
    writeMs += since(t);
    if (!prefetch) next = read(page.last);
  }
  const ms = since(start);
  const docs = await raw.count();
  if (docs !== expected) throw new Error(`rawProject produced ${docs} documents, expected ${expected}`);
  const round = (n: number) => Math.round(n);
  return { ms, readMs: round(readMs), buildMs: round(buildMs), writeMs: round(writeMs) };
}

export interface Latencies {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/** p50, p99 and max of `values` (ms, sorted in place), to 0.01 ms. */
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

export interface PropagationOptions {
  appendsPerSecond: number;
  /** How long appends are measured. */
  seconds: number;
  /** Appends at the same rate before measuring starts, not counted (connections, caches, JIT). */
  warmupSeconds: number;
}

export interface Propagation {
  append: Latencies;
  propagation: Latencies;
  endToEnd: Latencies;
  /** How late this process's event loop ran while measuring (5 ms resolution). */
  loopDelay: Latencies;
  /** Appends per second actually started while measuring. */
  appendRate: number;
}

/**
 * The async runner of the simple projection in this process, fed single-event appends at a steady
 * rate: each append starts at its due time whether or not earlier ones were acknowledged (an open
 * loop, as independent writers behave). "Updated" is the runner's `checkpoint` event, emitted once
 * the batch's transaction (read-model writes and checkpoint) has committed, so observing it costs no
 * query. For each append: `append` = call to acknowledgement (the store's own durable commit);
 * `propagation` = acknowledgement to the commit of the projection batch holding it (0 when that batch
 * committed first); `endToEnd` = call to that commit.
 */
export async function measurePropagation(store: EventStore, o: PropagationOptions): Promise<Propagation> {
  const projection = simpleProjection('bench_live', 'bench_live_docs');
  const projections = await createProjections(store, { async: [projection] });
  const loop = monitorEventLoopDelay({ resolution: 5 });
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
  // A log that is not empty is caught up first: only live propagation is measured.
  const before = (await projections.status(projection.name))[0]!.head;
  await projections.waitFor(projection.name, before, { timeoutMs: 300_000 });
  const warmup = Math.round(o.appendsPerSecond * o.warmupSeconds);
  const total = warmup + Math.round(o.appendsPerSecond * o.seconds);
  const interval = 1000 / o.appendsPerSecond;
  const appends: Promise<void>[] = [];
  const start = performance.now();
  let measuredFrom = start;
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (i === warmup) {
      measuredFrom = performance.now();
      loop.enable();
    }
    const measured = i >= warmup;
    const p = benchPayload(i);
    const calledAt = performance.now();
    const appended = store
      .append(`live-${i % 500}`, [{ type: 'OrderPlaced', data: p.data, metadata: p.metadata }])
      .then(({ position }) => {
        const ackedAt = performance.now();
        if (!measured) return;
        append.push(ackedAt - calledAt);
        if (position <= committed) {
          // The batch holding it committed before the writer saw its acknowledgement.
          propagated.push(0);
          endToEnd.push(committedAt - calledAt);
        } else {
          pending.set(position, { calledAt, ackedAt });
        }
      });
    appends.push(appended);
  }
  const appendRate = ((total - warmup) / since(measuredFrom)) * 1000;
  await Promise.all(appends);
  loop.disable();
  const head = (await projections.status(projection.name))[0]!.head;
  await projections.waitFor(projection.name, head, { timeoutMs: 30_000 });
  await projections.stop();
  if (pending.size > 0) throw new Error(`${pending.size} appends never reached the read model`);
  const ms = (ns: number) => Math.round(ns / 10_000) / 100;
  return {
    append: latencies(append),
    propagation: latencies(propagated),
    endToEnd: latencies(endToEnd),
    loopDelay: {
      p50: ms(loop.percentile(50)),
      p99: ms(loop.percentile(99)),
      max: ms(loop.max),
      samples: loop.count,
    },
    appendRate: Math.round(appendRate),
  };
}

/** The figures of a propagation run: p99 as the value, p50 and max beside it. */
function propagationFigures(live: Propagation, target: string): Record<string, Figure> {
  const ms = (l: Latencies, t?: string): Figure => ({
    value: l.p99,
    unit: 'ms (p99)',
    p50: l.p50,
    max: l.max,
    ...(t === undefined ? {} : { target: t }),
  });
  return {
    propagationP99: ms(live.propagation, target),
    endToEndP99: ms(live.endToEnd),
    appendP99: ms(live.append),
    // How late this process's event loop ran (timer resolution 5 ms): a busy machine shows here first.
    eventLoopDelayP99: ms(live.loopDelay),
  };
}

export interface ProjectionBenchOptions {
  bench: string;
  /** Opens the benchmark's store (each step opens its own and closes it). */
  open(): EventStore | Promise<EventStore>;
  /** The target of both throughput figures. */
  throughputTarget: string;
  catchUpTimeoutMs: number;
  /** Parameters of this store printed with the figures. */
  extra?: Record<string, unknown>;
  /** The plain driver's projector over the benchmark's log (each run opens its own). */
  raw(): RawProjector | Promise<RawProjector>;
  /** Whether the raw projector reads the next page while writing one (as Factum does on this store). */
  rawPrefetch: boolean;
  /** Runs once the log is filled, before anything reads it. */
  afterFill?(): Promise<void>;
}

/**
 * The projection benchmark of one store, one JSON line: fills a log of FACTUM_BENCH_PROJECTION_EVENTS
 * (100,000) events; measures the store's readAll rate over it, a rebuild and the catch-up of a new
 * async projection (each with its ratio to that rate); then, in the same log (a store with history,
 * where a per-read cost that grows with the log shows), the propagation delay of a caught-up
 * projection at a steady 500 appends/s for FACTUM_BENCH_PROPAGATION_SECONDS (10) after a warm-up of
 * FACTUM_BENCH_WARMUP_SECONDS (2).
 */
export async function runProjectionBench(o: ProjectionBenchOptions): Promise<void> {
  const events = Number(process.env.FACTUM_BENCH_PROJECTION_EVENTS ?? 100_000);
  const appendsPerSecond = 500;
  const seconds = Number(process.env.FACTUM_BENCH_PROPAGATION_SECONDS ?? 10);
  const warmupSeconds = Number(process.env.FACTUM_BENCH_WARMUP_SECONDS ?? 2);
  const withStore = async <T>(work: (store: EventStore) => Promise<T>): Promise<T> => {
    const store = await o.open();
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  };
  await withStore((store) => fillLog(store, events));
  await o.afterFill?.();
  const readAll = Math.round(await withStore(readAllRate));
  const rawProject = async (): Promise<RawProjectTiming> => {
    const raw = await o.raw();
    try {
      return await timeRawProject(raw, events, o.rawPrefetch);
    } finally {
      await raw.close();
    }
  };
  // Raw runs before and after Factum's (the mean is the ceiling): the machine's drift shows in both.
  const rawRuns = [await rawProject()];
  const rebuilt = await withStore((store) => timeRebuild(store, events));
  const caughtUp = await withStore((store) => timeCatchUp(store, o.catchUpTimeoutMs));
  rawRuns.push(await rawProject());
  const live = await withStore((store) =>
    measurePropagation(store, { appendsPerSecond, seconds, warmupSeconds }),
  );
  const rawRates = rawRuns.map((r) => Math.round((events / r.ms) * 1000));
  const rawRate = Math.round(rawRates.reduce((a, b) => a + b, 0) / rawRates.length);
  const mean = (pick: (r: RawProjectTiming) => number) =>
    Math.round(rawRuns.reduce((a, r) => a + pick(r), 0) / rawRuns.length);
  const withRaw = (figure: Figure): Figure => ({
    ...figure,
    rawProject: rawRate,
    ratioRaw: Math.round((figure.value / rawRate) * 1000) / 1000,
  });
  report(
    o.bench,
    {
      rawProject: {
        ...rate(events, (events / rawRate) * 1000, readAll),
        rawRuns: rawRates,
        // Mean ms per run: reads (SELECT + JSON.parse), building the documents, writes (upserts + checkpoint + commit).
        readMs: mean((r) => r.readMs),
        buildMs: mean((r) => r.buildMs),
        writeMs: mean((r) => r.writeMs),
        totalMs: mean((r) => r.ms),
        prefetch: o.rawPrefetch,
      },
      rebuild: withRaw(rate(rebuilt.events, rebuilt.ms, readAll, o.throughputTarget)),
      catchUp: withRaw(rate(events, caughtUp.ms, readAll, o.throughputTarget)),
      ...propagationFigures(live, 'p99 < 50 ms'),
    },
    {
      ...o.extra,
      events,
      appendsPerSecond,
      achievedAppendsPerSecond: live.appendRate,
      warmupSeconds,
      propagationSamples: live.propagation.samples,
      readAllRate: readAll,
      loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    },
  );
}
