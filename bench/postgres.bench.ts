// PostgreSQL store beside the raw `pg` limit: same server, same run, same payload, same table shape
// (same columns, constraints and indexes; the raw table numbers rows with a bigserial).
// (a) 20,000 single-event appends to 2,000 streams, 16 concurrent writers — raw: one INSERT per
//     transaction at concurrency 16;
// (b) 100 streams x 10 appends of 20 events, 16 concurrent writers — raw: multi-row INSERTs of 100
//     rows at concurrency 16 (the ratio); also reported, raw INSERTs of 20 rows at concurrency 16, the
//     same work per call as the appends (rawAppendShape);
// (c) readAll catch-up of 100,000 events in pages of 1,000 — raw: keyset-paged SELECT of the same rows;
// (d) append -> live subscriber latency at idle (another store, woken by LISTEN/NOTIFY) — raw: INSERT
//     + NOTIFY in one transaction, time until a LISTENing client hears it.
// Each throughput figure is the best of FACTUM_BENCH_ROUNDS (default 5) rounds, raw and Factum
// interleaved (alternating which goes first). Factum runs with its defaults (maxConcurrentAppends 2:
// appends beyond 2 in flight are group-committed); FACTUM_BENCH_APPENDS overrides that. A fresh
// schema per run, dropped at the end.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { newEventId } from '../src/core/ids.js';
import type { EventStore } from '../src/core/store.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { createRawEventsTable, rawInsertOne } from './postgres-raw.js';
import { benchPayload, type Figure, parallel, percentile, rate, report, since } from './support.js';

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.FACTUM_BENCH_ROUNDS ?? 5);
const SINGLE = 20_000;
const STREAMS = 2_000;
const WRITERS = 16;
const BATCH_STREAMS = 100;
const BATCH_APPENDS = 10;
const BATCH = 20;
const RAW_ROWS = 100;
const READ = 100_000;
const PAGE = 1_000;
const LATENCY_SAMPLES = 300;

const schema = `factum_bench_${randomBytes(4).toString('hex')}`;
const q = `"${schema}"`;
const pool = new pg.Pool({ connectionString: url, max: WRITERS + 4 });
pool.on('error', () => {});

function payloadJson(i: number): { data: string; metadata: string } {
  const p = benchPayload(i);
  return { data: JSON.stringify(p.data), metadata: JSON.stringify(p.metadata) };
}

const rawTable = (name: string) => createRawEventsTable(pool, `${q}.${name}`);

async function rawSingle(round: number): Promise<number> {
  const table = await rawTable(`raw_single_${round}`);
  const text = rawInsertOne(table);
  const ms = await parallel(SINGLE, WRITERS, async (i) => {
    const p = payloadJson(i);
    await pool.query({
      name: `raw_single_${round}`,
      text,
      values: [newEventId(), `order-${i % STREAMS}`, Math.floor(i / STREAMS) + 1, p.data, p.metadata],
    });
  });
  return (SINGLE / ms) * 1000;
}

async function rawBatched(round: number, rowsPerInsert = RAW_ROWS): Promise<number> {
  const table = await rawTable(`raw_batch_${rowsPerInsert}_${round}`);
  const rows: string[] = [];
  for (let r = 0; r < rowsPerInsert; r++) {
    const b = r * 5;
    rows.push(`($${b + 1}, $${b + 2}, $${b + 3}, 'order', 'OrderPlaced', 1, $${b + 4}, $${b + 5}, now())`);
  }
  const text = `INSERT INTO ${table} (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
    VALUES ${rows.join(', ')}`;
  const total = BATCH_STREAMS * BATCH_APPENDS * BATCH;
  const ms = await parallel(total / rowsPerInsert, WRITERS, async (k) => {
    const values: unknown[] = [];
    for (let r = 0; r < rowsPerInsert; r++) {
      const i = k * rowsPerInsert + r;
      const p = payloadJson(i);
      values.push(newEventId(), `order-${Math.floor(i / 200)}`, (i % 200) + 1, p.data, p.metadata);
    }
    await pool.query({ name: `raw_batch_${rowsPerInsert}_${round}`, text, values });
  });
  return (total / ms) * 1000;
}

async function openStore(name: string, listen = true): Promise<EventStore> {
  const maxConcurrentAppends =
    process.env.FACTUM_BENCH_APPENDS === undefined ? undefined : Number(process.env.FACTUM_BENCH_APPENDS);
  return createPostgresStore({
    pool,
    schema: `${schema}_${name}`,
    migrate: true,
    listen,
    ...(maxConcurrentAppends === undefined ? {} : { maxConcurrentAppends }),
  });
}

async function factumSingle(round: number): Promise<number> {
  const store = await openStore(`single_${round}`);
  const ms = await parallel(SINGLE, WRITERS, async (i) => {
    const p = benchPayload(i);
    await store.append(`order-${i % STREAMS}`, [{ type: 'OrderPlaced', data: p.data, metadata: p.metadata }]);
  });
  await store.close();
  return (SINGLE / ms) * 1000;
}

async function factumBatched(store: EventStore, streamOffset: number): Promise<number> {
  const total = BATCH_STREAMS * BATCH_APPENDS * BATCH;
  const ms = await parallel(BATCH_STREAMS, WRITERS, async (s) => {
    for (let a = 0; a < BATCH_APPENDS; a++) {
      const events = Array.from({ length: BATCH }, (_, k) => {
        const p = benchPayload((s * BATCH_APPENDS + a) * BATCH + k);
        return { type: 'OrderPlaced', data: p.data, metadata: p.metadata };
      });
      await store.append(`order-${streamOffset + s}`, events, { expectedVersion: a * BATCH });
    }
  });
  return (total / ms) * 1000;
}

async function factumRead(store: EventStore): Promise<number> {
  let n = 0;
  const start = performance.now();
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: PAGE });
    if (page.events.length === 0) break;
    n += page.events.length;
    after = page.last;
  }
  const ms = since(start);
  if (n !== READ) throw new Error(`readAll returned ${n} events, expected ${READ}`);
  return (n / ms) * 1000;
}

async function rawRead(table: string): Promise<number> {
  const text = `SELECT position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at
    FROM ${table} WHERE position > $1 ORDER BY position LIMIT ${PAGE}`;
  let n = 0;
  const start = performance.now();
  for (let after = '0'; ; ) {
    const { rows } = await pool.query({ name: 'raw_read', text, values: [after] });
    if (rows.length === 0) break;
    n += rows.length;
    after = rows.at(-1).position;
  }
  const ms = since(start);
  if (n !== READ) throw new Error(`raw read returned ${n} rows, expected ${READ}`);
  return (n / ms) * 1000;
}

async function factumLatency(): Promise<number[]> {
  const writer = await openStore('latency');
  const reader = await createPostgresStore({ pool, schema: `${schema}_latency` });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let arrived: (() => void) | undefined;
  const sub = reader.subscribe({}, (e) => {
    latencies.push(performance.now() - sentAt.get(e.id)!);
    arrived?.();
  });
  await sleep(200);
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const id = newEventId();
    const p = benchPayload(i);
    const received = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    sentAt.set(id, performance.now());
    await writer.append(`order-${i}`, [{ id, type: 'OrderPlaced', data: p.data, metadata: p.metadata }]);
    await received;
    await sleep(5);
  }
  await sub.unsubscribe();
  await reader.close();
  await writer.close();
  return latencies.sort((a, b) => a - b);
}

async function rawLatency(table: string): Promise<number[]> {
  const listener = await pool.connect();
  await listener.query('LISTEN factum_bench_raw');
  const latencies: number[] = [];
  let arrived: (() => void) | undefined;
  listener.on('notification', () => arrived?.());
  const text = `WITH i AS (INSERT INTO ${table} (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
    VALUES ($1, $2, 1, 'order', 'OrderPlaced', 1, $3, $4, now()) RETURNING position)
    SELECT pg_notify('factum_bench_raw', position::text) FROM i`;
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const p = payloadJson(i);
    const received = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const start = performance.now();
    await pool.query({
      name: 'raw_latency',
      text,
      values: [newEventId(), `latency-${i}`, p.data, p.metadata],
    });
    await received;
    latencies.push(since(start));
    await sleep(5);
  }
  await listener.query('UNLISTEN *');
  listener.release(true);
  return latencies.sort((a, b) => a - b);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function best(values: number[]): number {
  return Math.round(Math.max(...values));
}

function latencyFigure(value: number, raw: number, target?: string): Figure {
  const figure: Figure = {
    value: Math.round(value * 100) / 100,
    unit: 'ms',
    raw: Math.round(raw * 100) / 100,
  };
  figure.ratio = Math.round((raw / value) * 1000) / 1000;
  if (target !== undefined) figure.target = target;
  return figure;
}

try {
  await pool.query(`CREATE SCHEMA ${q}`);
  const raw = { single: [] as number[], batched: [] as number[], appendShape: [] as number[] };
  const factum = { single: [] as number[], batched: [] as number[] };
  const batchStore = await openStore('batched');
  // Raw first in even rounds, Factum first in odd ones, so that drift on a shared machine hits both.
  for (let round = 0; round < ROUNDS; round++) {
    const pairs: [() => Promise<void>, () => Promise<void>][] = [
      [
        async () => void raw.single.push(await rawSingle(round)),
        async () => void factum.single.push(await factumSingle(round)),
      ],
      [
        async () => {
          raw.batched.push(await rawBatched(round));
          raw.appendShape.push(await rawBatched(round, BATCH));
        },
        async () => void factum.batched.push(await factumBatched(batchStore, round * BATCH_STREAMS)),
      ],
    ];
    for (const [rawRun, factumRun] of pairs) {
      if (round % 2 === 0) {
        await rawRun();
        await factumRun();
      } else {
        await factumRun();
        await rawRun();
      }
    }
  }
  await batchStore.close();

  // The 100,000-event log both readers scan: written once by Factum (appends of 100), and copied
  // row for row into the raw table.
  const readStore = await openStore('read');
  await parallel(READ / 100, 4, async (k) => {
    const events = Array.from({ length: 100 }, (_, j) => {
      const p = benchPayload(k * 100 + j);
      return { type: 'OrderPlaced', data: p.data, metadata: p.metadata };
    });
    await readStore.append(`read-${k}`, events);
  });
  const rawReadTable = await rawTable('raw_read');
  await pool.query(
    `INSERT INTO ${rawReadTable} SELECT position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at
     FROM "${schema}_read".factum_events ORDER BY position`,
  );
  await pool.query(`VACUUM ANALYZE ${rawReadTable}`);
  await pool.query(`VACUUM ANALYZE "${schema}_read".factum_events`);
  const rawReads: number[] = [];
  const reads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 1) reads.push(await factumRead(readStore));
    rawReads.push(await rawRead(rawReadTable));
    if (round % 2 === 0) reads.push(await factumRead(readStore));
  }
  await readStore.close();

  const rawLatencies = await rawLatency(await rawTable('raw_latency'));
  const latencies = await factumLatency();

  const rawSingleRate = best(raw.single);
  const rawBatchRate = best(raw.batched);
  const rawAppendShapeRate = best(raw.appendShape);
  const rawReadRate = best(rawReads);
  const batchedTotal = BATCH_STREAMS * BATCH_APPENDS * BATCH;
  report(
    'postgres-store',
    {
      singleAppends: rate(SINGLE, (SINGLE / best(factum.single)) * 1000, rawSingleRate, '>= 0.75 of raw'),
      batchedAppends: {
        ...rate(batchedTotal, (batchedTotal / best(factum.batched)) * 1000, rawBatchRate, '>= 0.85 of raw'),
        rawAppendShape: rawAppendShapeRate,
        ratioAppendShape: Math.round((best(factum.batched) / rawAppendShapeRate) * 1000) / 1000,
      },
      readAll: rate(READ, (READ / best(reads)) * 1000, rawReadRate, '>= 150,000 events/s and >= 0.50 of raw'),
      liveLatencyP50: latencyFigure(percentile(latencies, 50), percentile(rawLatencies, 50)),
      liveLatencyP99: latencyFigure(percentile(latencies, 99), percentile(rawLatencies, 99), '< 20 ms'),
    },
    {
      server: (await pool.query('SHOW server_version')).rows[0].server_version,
      synchronousCommit: (await pool.query('SHOW synchronous_commit')).rows[0].synchronous_commit,
      rounds: ROUNDS,
      maxConcurrentAppends: process.env.FACTUM_BENCH_APPENDS ?? 'default (2)',
      writers: WRITERS,
      singleEvents: SINGLE,
      streams: STREAMS,
      batched: `${BATCH_STREAMS} streams x ${BATCH_APPENDS} appends x ${BATCH} events`,
      rawRowsPerInsert: RAW_ROWS,
      rawAppendShapeRowsPerInsert: BATCH,
      readEvents: READ,
      readPage: PAGE,
      latencySamples: LATENCY_SAMPLES,
    },
  );
} finally {
  const { rows } = await pool.query<{ name: string }>(
    "SELECT nspname AS name FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $1 || '\\_%'",
    [schema],
  );
  for (const { name } of rows) await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await pool.end();
}
