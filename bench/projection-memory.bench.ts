// Heap while reading and projecting a large SQLite log, one JSON line: seeds FACTUM_BENCH_MEMORY_EVENTS
// (1,000,000) events, then pages through the whole log with readAll and catches up a new async
// projection of it (the simple projection: one upsert per event), sampling the heap in use all along.
// Each phase reports its high-water mark as it passes each quarter of the log, and what is left after
// a full garbage collection there: a reader or runner that keeps what it has done (events,
// documents, promises) shows both growing with the log; one that does not stays flat. The seed appends 1,000 events per append at synchronous=NORMAL
// (the figures are about the heap, not durability), to keep the run short.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EventStore } from '../src/core/store.js';
import { createProjections } from '../src/projections/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { simpleProjection } from './projection-support.js';
import { benchPayload, type Figure, readLog, report, since } from './support.js';

const events = Number(process.env.FACTUM_BENCH_MEMORY_EVENTS ?? 1_000_000);
const perAppend = 1_000;
const sampleEveryMs = 10;
const dir = mkdtempSync(join(tmpdir(), 'factum-bench-projection-memory-'));
const open = () => createSqliteStore(join(dir, 'log.db'), { synchronous: 'NORMAL' });

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const heapUsed = () => getHeapStatistics().used_heap_size;
setFlagsFromString('--expose-gc');
/** A full collection, so that the heap in use is what is still referenced. */
const collect = runInNewContext('gc') as () => void;

/**
 * The heap's high-water mark (MiB) at each quarter of the log, and the heap still referenced there
 * (after a full collection): `progress()` tells how many events the phase has done; the heap is
 * sampled on a timer and at every `sample()`.
 */
class HighWater {
  readonly marks: number[] = [];
  readonly retained: number[] = [];
  #max = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(readonly progress: () => number) {
    this.#timer = setInterval(() => this.sample(), sampleEveryMs);
  }

  sample(): void {
    this.#max = Math.max(this.#max, heapUsed());
    const done = this.progress();
    while (this.marks.length < 4 && done >= (events * (this.marks.length + 1)) / 4) {
      this.marks.push(mib(this.#max));
      collect();
      this.retained.push(mib(heapUsed()));
    }
  }

  end(): { marks: number[]; retained: number[] } {
    clearInterval(this.#timer);
    this.sample();
    return { marks: this.marks, retained: this.retained };
  }
}

async function seed(store: EventStore): Promise<void> {
  for (let i = 0; i < events; i += perAppend) {
    const batch = Array.from({ length: Math.min(perAppend, events - i) }, (_, k) => {
      const p = benchPayload(i + k);
      return { type: 'OrderPlaced', data: p.data, metadata: p.metadata };
    });
    await store.append(`order-${i / perAppend}`, batch);
  }
}

/** Pages through the whole log with readAll (pages of 1,000), as the readAll benchmark does. */
interface Phase {
  marks: number[];
  retained: number[];
  ms: number;
}

async function readThrough(store: EventStore): Promise<Phase> {
  let n = 0;
  const water = new HighWater(() => n);
  const { ms } = await readLog(store, (read) => {
    n = read;
    water.sample();
  });
  return { ...water.end(), ms };
}

/** A new async projection started on the whole log, until it has caught up with the head. */
async function project(store: EventStore): Promise<Phase> {
  const projection = simpleProjection('bench_memory', 'bench_memory_docs');
  const projections = await createProjections(store, { async: [projection] });
  const head = (await projections.status(projection.name))[0]!.head;
  let n = 0;
  const water = new HighWater(() => n);
  projections.on('checkpoint', ({ events }) => {
    n += events;
    water.sample();
  });
  const start = performance.now();
  projections.start();
  await projections.waitFor(projection.name, head, { timeoutMs: 300_000 });
  const ms = since(start);
  await projections.stop();
  return { ...water.end(), ms };
}

function figure(phase: Phase, target: string): Figure {
  const [q1, q2, q3, q4] = phase.marks;
  const [r1, , , r4] = phase.retained;
  return {
    value: q4 ?? Number.NaN,
    unit: 'MiB heap high-water',
    at250k: q1,
    at500k: q2,
    at750k: q3,
    at1M: q4,
    growthAfterFirstQuarter: q1 === undefined || q4 === undefined ? null : Math.round((q4 - q1) * 10) / 10,
    // MiB still referenced after a full collection at each quarter.
    retained: phase.retained,
    retainedGrowth: r1 === undefined || r4 === undefined ? null : Math.round((r4 - r1) * 10) / 10,
    eventsPerSecond: Math.round((events / phase.ms) * 1000),
    target,
  };
}

try {
  const seedStart = performance.now();
  const store = await open();
  await seed(store);
  const seedMs = since(seedStart);
  const baseline = mib(heapUsed());
  const read = await readThrough(store);
  const projected = await project(store);
  await store.close();
  report(
    'projection-memory',
    {
      readAllHeap: figure(read, 'flat: at1M ≈ at250k'),
      catchUpHeap: figure(projected, 'flat: at1M ≈ at250k'),
    },
    {
      events,
      seed: { perAppend, synchronous: 'NORMAL', ms: Math.round(seedMs) },
      store: 'sqlite',
      heapBeforeMiB: baseline,
      sampleEveryMs,
      note: 'quarters are of the events: at250k is the high-water after the first quarter, and so on',
      loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
