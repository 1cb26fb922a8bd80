// Sagas on a SQLite file (WAL, synchronous=FULL) and in a fresh schema of FACTUM_PG_URL
// (synchronous_commit on), one JSON line:
// (a) sagas completed per second: the seed flow (examples/sagas/order-fulfilment.ts: payment,
//     inventory, shipping, all succeeding) with its services as reactors in the same runtime,
//     1,000 instances kept in flight (a new OrderPlaced for each one that completes) until
//     FACTUM_BENCH_SAGAS (default 3,000) have completed, timed from the first append to the last
//     completion; every event the run appended (orders, saga state, commands, replies), per saga;
// (b) beside it, on a fresh store of the same kind: the same number of events as single-event
//     appends to different streams by as many concurrent appenders as the runtime's concurrency,
//     so the saga's cost shows as the ratio of (a)'s event rate to it;
// (c) timeout firing delay: 10,000 instances of a one-step saga whose reply never comes (timeout
//     3 s), started at FACTUM_BENCH_TIMEOUT_RATE (1,000/s) so they fall due spread out; firedAt − dueAt of each
//     'timeout-fired' (the scheduler polls every 100 ms by default), p50/p99/max.
// PostgreSQL: schemas `factum_bench_<hex>_…`, dropped at the end; SQLite: a temp dir, removed.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { fulfilmentServices, orderFulfilment } from '../examples/sagas/order-fulfilment.js';
import type { EventStore } from '../src/core/store.js';
import { createSagas, defineSaga, type Sagas } from '../src/sagas/index.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { benchPayload, type Figure, parallel, percentile, report, since } from './support.js';

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const synchronous = (process.env.FACTUM_BENCH_SYNC ?? 'FULL') as 'FULL' | 'NORMAL';
const SAGAS = Number(process.env.FACTUM_BENCH_SAGAS ?? 3_000);
const IN_FLIGHT = Number(process.env.FACTUM_BENCH_IN_FLIGHT ?? 1_000);
const CONCURRENCY = 64; // the runtime's default `concurrency`
const TIMEOUTS = Number(process.env.FACTUM_BENCH_TIMEOUTS ?? 10_000);
const TIMEOUT_MS = 3_000;
const STARTS_PER_SECOND = Number(process.env.FACTUM_BENCH_TIMEOUT_RATE ?? 1_000);
const TICK_MS = 10;
const TIMEOUT_POLL_MS = 100; // the runtime's default `timeoutPollMs`
const WAIT_LIMIT_MS = 120_000;
const only = (process.env.FACTUM_BENCH_STORES ?? 'sqlite,postgres').split(',');

const dir = mkdtempSync(join(tmpdir(), 'factum-bench-sagas-'));
const schema = `factum_bench_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({ connectionString: url, max: 40 });
pool.on('error', () => {});

type Open = (name: string) => Promise<EventStore>;

const openers: Record<string, Open> = {
  sqlite: async (name) => createSqliteStore(join(dir, `${name}.db`), { synchronous }),
  postgres: (name) => createPostgresStore({ pool, schema: `${schema}_${name}`, migrate: true }),
};

/** Waits until `done()` holds (checked whenever `wake` is called), or fails after WAIT_LIMIT_MS. */
function waiter(done: () => boolean, progress: () => string) {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(
    () => reject(new Error(`not done after ${WAIT_LIMIT_MS} ms: ${progress()}`)),
    WAIT_LIMIT_MS,
  );
  return {
    promise: promise.finally(() => clearTimeout(timer)),
    wake: () => {
      if (done()) resolve();
    },
    fail: reject,
  };
}

async function countEvents(store: EventStore): Promise<number> {
  let n = 0;
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: 5_000 });
    if (page.events.length === 0) return n;
    n += page.events.length;
    after = page.last;
  }
}

function watchErrors(sagas: Sagas, fail: (error: unknown) => void): void {
  sagas.on('error', ({ component, error }) =>
    fail(new Error(`${component}: ${error instanceof Error ? error.message : String(error)}`)),
  );
  sagas.on('parked', ({ correlationId, reason }) =>
    fail(new Error(`saga ${correlationId} parked: ${reason}`)),
  );
  sagas.on('dead-lettered', ({ reactor, error }) =>
    fail(
      new Error(
        `reactor ${reactor} dead-lettered: ${error instanceof Error ? error.message : String(error)}`,
      ),
    ),
  );
}

function orderPlaced(i: number) {
  return {
    type: 'OrderPlaced',
    data: {
      orderId: `o${i}`,
      total: 8997,
      items: [
        { sku: 'SKU-000123', qty: 2 },
        { sku: 'SKU-000456', qty: 1 },
      ],
    },
  };
}

/** (a): the seed flow with IN_FLIGHT instances kept in flight until SAGAS completed. */
async function sagaThroughput(open: Open): Promise<{ ms: number; events: number }> {
  const store = await open('flow');
  const sagas = await createSagas(store, {
    sagas: [orderFulfilment],
    reactors: fulfilmentServices(store),
  });
  let appended = 0;
  let completed = 0;
  const done = waiter(
    () => completed >= SAGAS,
    () => `${completed} of ${SAGAS} sagas completed, ${appended} orders appended`,
  );
  const place = (i: number) =>
    store.append(`order-o${i}`, [orderPlaced(i)], { expectedVersion: 'no_stream' }).then(() => {});
  watchErrors(sagas, done.fail);
  sagas.on('applied', ({ status }) => {
    if (status !== 'completed') return;
    completed++;
    if (appended < SAGAS) place(appended++).catch(done.fail);
    done.wake();
  });
  sagas.start();
  try {
    const start = performance.now();
    const first = Math.min(IN_FLIGHT, SAGAS);
    await parallel(first, CONCURRENCY, () => place(appended++));
    await done.promise;
    const ms = since(start);
    await sagas.stop();
    const events = await countEvents(store);
    for (const id of ['o0', `o${SAGAS - 1}`]) {
      const instance = await sagas.get(orderFulfilment.name, id);
      if (instance?.status !== 'completed')
        throw new Error(`saga ${id} is ${instance?.status}, expected completed`);
    }
    return { ms, events };
  } finally {
    await sagas.stop();
    await store.close();
  }
}

/** (b): `count` single-event appends to different streams, CONCURRENCY appenders; events/s. */
async function appendRate(open: Open, count: number): Promise<number> {
  const store = await open('appends');
  try {
    const ms = await parallel(count, CONCURRENCY, async (i) => {
      const p = benchPayload(i);
      await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: p.data, metadata: p.metadata }], {
        expectedVersion: 'no_stream',
      });
    });
    return (count / ms) * 1000;
  } finally {
    await store.close();
  }
}

const waitingSaga = defineSaga({
  name: 'bench_timeout',
  version: 1,
  startedBy: ['TimerStarted'],
  correlate: (event) => (event.data as { id?: string }).id,
  steps: [
    {
      name: 'wait',
      action: ({ correlationId }) => ({ type: 'AwaitReply', data: { id: correlationId } }),
      awaits: { success: ['NeverArrives'], timeout: TIMEOUT_MS },
    },
  ],
});

/** (c): TIMEOUTS instances started at STARTS_PER_SECOND; firedAt − dueAt of each, sorted. */
async function timeoutDelays(
  open: Open,
): Promise<{ delays: number[]; startMs: number; indexLagMs: number; indexBehind: number }> {
  const store = await open('timeouts');
  const sagas = await createSagas(store, { sagas: [waitingSaga], timeoutPollMs: TIMEOUT_POLL_MS });
  const delays: number[] = [];
  const done = waiter(
    () => delays.length >= TIMEOUTS,
    () => `${delays.length} of ${TIMEOUTS} timeouts fired`,
  );
  watchErrors(sagas, done.fail);
  sagas.on('timeout-fired', ({ dueAt, firedAt }) => {
    delays.push(firedAt - dueAt);
    done.wake();
  });
  sagas.start();
  // How far the saga index (where the scheduler finds due timeouts) falls behind the log meanwhile.
  let indexLagMs = 0;
  let indexBehind = 0;
  const sampler = setInterval(() => {
    sagas.index.status().then(
      (statuses) => {
        for (const s of statuses) {
          indexLagMs = Math.max(indexLagMs, s.lagMs);
          indexBehind = Math.max(indexBehind, s.behind);
        }
      },
      () => {},
    );
  }, 500);
  try {
    // An open loop: each tick's starts are appended at its due time, one append per instance.
    const perTick = (STARTS_PER_SECOND * TICK_MS) / 1000;
    const start = performance.now();
    const appends: Promise<unknown>[] = [];
    for (let tick = 0; tick * perTick < TIMEOUTS; tick++) {
      const wait = start + tick * TICK_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      for (let k = 0; k < perTick && tick * perTick + k < TIMEOUTS; k++) {
        const i = tick * perTick + k;
        appends.push(store.append(`timer-t${i}`, [{ type: 'TimerStarted', data: { id: `t${i}` } }]));
      }
    }
    await Promise.all(appends);
    const startMs = since(start);
    await done.promise;
    return { delays: delays.sort((a, b) => a - b), startMs, indexLagMs, indexBehind };
  } finally {
    clearInterval(sampler);
    await sagas.stop();
    await store.close();
  }
}

const ms2 = (n: number) => Math.round(n * 10) / 10;

const figures: Record<string, Figure> = {};
const extra: Record<string, unknown> = {};
try {
  if (only.includes('postgres')) await pool.query(`CREATE SCHEMA "${schema}"`);
  for (const kind of only) {
    const open = openers[kind]!;
    const flow = await sagaThroughput(open);
    const eventsPerSaga = flow.events / SAGAS;
    const sagasPerSec = Math.round((SAGAS / flow.ms) * 1000);
    const sagaEventsPerSec = Math.round((flow.events / flow.ms) * 1000);
    const appendsPerSec = Math.round(await appendRate(open, flow.events));
    figures[`${kind}_sagas`] = {
      value: sagasPerSec,
      unit: 'sagas/s',
      target: kind === 'postgres' ? '>= 1,000 sagas/s' : '>= 300 sagas/s',
      sagas: SAGAS,
      seconds: Math.round(flow.ms) / 1000,
    };
    figures[`${kind}_sagaEvents`] = {
      value: sagaEventsPerSec,
      unit: 'events/s',
      raw: appendsPerSec,
      ratio: Math.round((sagaEventsPerSec / appendsPerSec) * 1000) / 1000,
      events: flow.events,
      eventsPerSaga: Math.round(eventsPerSaga * 100) / 100,
    };
    figures[`${kind}_appends`] = { value: appendsPerSec, unit: 'events/s', events: flow.events };
    const t = await timeoutDelays(open);
    figures[`${kind}_timeoutP50`] = { value: ms2(percentile(t.delays, 50)), unit: 'ms' };
    figures[`${kind}_timeoutP99`] = {
      value: ms2(percentile(t.delays, 99)),
      unit: 'ms',
      target: '< 1,000 ms',
    };
    figures[`${kind}_timeoutMax`] = {
      value: ms2(t.delays.at(-1)!),
      unit: 'ms',
      fired: t.delays.length,
      startSeconds: Math.round(t.startMs) / 1000,
      indexLagMaxMs: Math.round(t.indexLagMs),
      indexBehindMax: t.indexBehind,
    };
  }
  if (only.includes('postgres')) {
    extra.server = (await pool.query('SHOW server_version')).rows[0].server_version;
    extra.synchronousCommit = (await pool.query('SHOW synchronous_commit')).rows[0].synchronous_commit;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  const { rows } = await pool.query<{ name: string }>(
    "SELECT nspname AS name FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $1 || '\\_%'",
    [schema],
  );
  for (const { name } of rows) await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await pool.end();
}
report('sagas', figures, {
  sqliteSynchronous: synchronous,
  ...extra,
  sagas: SAGAS,
  inFlight: IN_FLIGHT,
  concurrency: CONCURRENCY,
  appendsCompared: 'single-event appends to distinct streams, same concurrency',
  timeouts: TIMEOUTS,
  timeoutMs: TIMEOUT_MS,
  startsPerSecond: STARTS_PER_SECOND,
  timeoutPollMs: TIMEOUT_POLL_MS,
});
