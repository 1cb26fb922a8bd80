// A slow async handler and the rest of the process, one JSON line: while one handler call takes
// 2.5 s, the same process starts a status() call every 100 ms and an unrelated append every 20 ms
// (each at its due time, whether or not the earlier ones have answered).
// Figures per store (a SQLite file; PostgreSQL, a fresh schema of FACTUM_PG_URL, for comparison):
// status() latency while the handler runs, whether status reported the SLA breach once the event
// was older than the SLA, and the append latency while the handler runs beside the same appends
// with no batch open (raw).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { EventStore } from '../src/core/store.js';
import { createProjections, defineProjection } from '../src/projections/index.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { type Figure, percentile, report, since } from './support.js';

const HANDLER_MS = 2_500;
const SLA_MS = 500;
const STATUS_EVERY_MS = 100;
const APPEND_EVERY_MS = 20;

interface Run {
  status: { p50: number; p99: number; max: number; samples: number };
  /** Of the status calls made once the slow event was older than the SLA: how many said breached. */
  breachedReported: { yes: number; of: number };
  append: { p50: number; p99: number; max: number; samples: number };
  appendIdle: { p50: number; p99: number; max: number; samples: number };
  handlerMs: number;
}

function summary(values: number[]): { p50: number; p99: number; max: number; samples: number } {
  values.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    p50: round(percentile(values, 50)),
    p99: round(percentile(values, 99)),
    max: round(values.at(-1) ?? Number.NaN),
    samples: values.length,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `probe` every `everyMs` while `going()` holds, each at its due time (an open loop); resolves
 * with each call's latency and what it returned, once all have answered.
 */
async function probes<T>(
  everyMs: number,
  going: () => boolean,
  probe: (i: number) => Promise<T>,
): Promise<{ ms: number; startedAt: number; value: T }[]> {
  const calls: Promise<{ ms: number; startedAt: number; value: T }>[] = [];
  const first = performance.now();
  for (let i = 0; going(); i++) {
    const startedAt = performance.now();
    calls.push(probe(i).then((value) => ({ ms: since(startedAt), startedAt, value })));
    await sleep(Math.max(0, first + (i + 1) * everyMs - performance.now()));
  }
  return Promise.all(calls);
}

async function run(store: EventStore): Promise<Run> {
  let started: () => void = () => {};
  const handling = new Promise<void>((resolve) => {
    started = resolve;
  });
  let running = false;
  let handlerMs = 0;
  const slow = defineProjection({
    name: 'bench_slow',
    handles: ['Slow'],
    documents: { bench_slow_docs: {} },
    sla: { maxLagMs: SLA_MS },
    async handle(event, tx) {
      const start = performance.now();
      running = true;
      started();
      await sleep(HANDLER_MS);
      await tx.documents('bench_slow_docs').upsert(event.streamId, { done: true });
      running = false;
      handlerMs = since(start);
    },
  });
  const projections = await createProjections(store, { async: [slow], monitorEveryMs: 100 });
  projections.start();
  const append = (prefix: string) => (i: number) =>
    store.append(`${prefix}-${i % 50}`, [{ type: 'Unrelated', data: { i } }]);
  // Appends with no batch open: the same loop for one second.
  const idleUntil = performance.now() + 1_000;
  const appendIdle = await probes(APPEND_EVERY_MS, () => performance.now() < idleUntil, append('idle'));

  const { position } = await store.append('slow-1', [{ type: 'Slow', data: {} }]);
  const appendedAt = performance.now();
  await handling;
  const [statuses, appends] = await Promise.all([
    probes(
      STATUS_EVERY_MS,
      () => running,
      () => projections.status('bench_slow'),
    ),
    probes(APPEND_EVERY_MS, () => running, append('busy')),
  ]);
  // Status calls made once the slow event was older than the SLA should report the breach.
  const late = statuses.filter((s) => s.startedAt - appendedAt > SLA_MS + STATUS_EVERY_MS);
  const breached = { yes: late.filter((s) => s.value[0]?.breached === true).length, of: late.length };
  await projections.waitFor('bench_slow', position, { timeoutMs: 60_000 });
  await projections.stop();
  return {
    status: summary(statuses.map((s) => s.ms)),
    breachedReported: breached,
    append: summary(appends.map((a) => a.ms)),
    appendIdle: summary(appendIdle.map((a) => a.ms)),
    handlerMs: Math.round(handlerMs),
  };
}

function figures(name: string, r: Run): Record<string, Figure> {
  return {
    [`${name}StatusP99`]: {
      value: r.status.p99,
      unit: 'ms',
      target: '< 50 ms',
      ...r.status,
      breachedReported: `${r.breachedReported.yes}/${r.breachedReported.of}`,
    },
    [`${name}AppendP99`]: {
      value: r.append.p99,
      unit: 'ms',
      raw: r.appendIdle.p99,
      ratio: Math.round((r.appendIdle.p99 / r.append.p99) * 1000) / 1000,
      target: 'not delayed by the handler',
      ...r.append,
      idle: r.appendIdle,
      handlerMs: r.handlerMs,
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'factum-bench-slow-handler-'));
const result: Record<string, Figure> = {};
const extra: Record<string, unknown> = { handlerMs: HANDLER_MS, slaMs: SLA_MS };
try {
  const sqlite = createSqliteStore(join(dir, 'log.db'));
  try {
    Object.assign(result, figures('sqlite', await run(sqlite)));
  } finally {
    await sqlite.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `factum_bench_slow_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({ connectionString: url, max: 8 });
pool.on('error', () => {});
try {
  await pool.query('SELECT 1');
  const postgres = await createPostgresStore({ pool, schema, migrate: true });
  try {
    Object.assign(result, figures('postgres', await run(postgres)));
  } finally {
    await postgres.close();
  }
} catch (error) {
  extra.postgres = `skipped: ${(error as Error).message}`;
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await pool.end();
}
report('slow-handler', result, extra);
