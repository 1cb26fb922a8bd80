// The operator API under load, one JSON line. The server runs in a child process (bench/server-child.ts)
// on the store; the clients run here.
// (a) read latency: FACTUM_BENCH_API_CLIENTS (50) concurrent clients, each sending its next request
//     when the last one answered, for FACTUM_BENCH_API_SECONDS (10 s) per route: GET /api/v1/log
//     (a page of 100 after a random position) and GET /api/v1/streams/{id}/events (a random stream of
//     100 events), on a log of FACTUM_BENCH_API_EVENTS (1,000,000) events in streams of 100: a SQLite
//     file and a fresh PostgreSQL schema. p50/p99/max per route. Target p99 < 50 ms.
// (b) live fan-out (SQLite): FACTUM_BENCH_SSE_CLIENTS (100) clients on GET /api/v1/log/live while the
//     server's process appends 1,000 events/s for 10 s; the delivery delay of every event at every
//     client (received − the append's start, the event carries it). Target p99 < 100 ms.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { fillLog } from './projection-support.js';
import { type Figure, percentile, report, since } from './support.js';

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = Number(process.env.FACTUM_BENCH_API_EVENTS ?? 1_000_000);
const CLIENTS = Number(process.env.FACTUM_BENCH_API_CLIENTS ?? 50);
const SECONDS = Number(process.env.FACTUM_BENCH_API_SECONDS ?? 10);
const SSE_CLIENTS = Number(process.env.FACTUM_BENCH_SSE_CLIENTS ?? 100);
const SSE_RATE = Number(process.env.FACTUM_BENCH_SSE_RATE ?? 1_000);
const SSE_SECONDS = Number(process.env.FACTUM_BENCH_SSE_SECONDS ?? 10);
const only = (process.env.FACTUM_BENCH_STORES ?? 'sqlite,postgres').split(',');
const TOKEN = 'bench-token';
const headers = { authorization: `Bearer ${TOKEN}` };

interface Child {
  url: string;
  process: ChildProcess;
  lines: AsyncIterator<string>;
}

async function startServer(storeUrl: string): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'server-child.ts'), storeUrl],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const first = await lines.next();
  return { url: JSON.parse(first.value as string).url as string, process: child, lines };
}

async function stopServer(child: Child): Promise<void> {
  child.process.stdin?.end();
  await new Promise((resolve) => child.process.once('exit', resolve));
}

function latency(samples: number[]): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    value: round(percentile(sorted, 99)),
    unit: 'ms (p99)',
    p50: round(percentile(sorted, 50)),
    max: round(sorted.at(-1) ?? Number.NaN),
    requests: sorted.length,
    target: '< 50 ms',
  };
}

/** CLIENTS closed-loop clients on one route for SECONDS; latencies in ms. */
async function load(path: () => string): Promise<{ samples: number[]; errors: number }> {
  const samples: number[] = [];
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        const start = performance.now();
        const response = await fetch(path(), { headers });
        await response.arrayBuffer();
        if (response.status !== 200) errors++;
        samples.push(since(start));
      }
    }),
  );
  return { samples, errors };
}

async function readLatency(storeUrl: string, positions: bigint[]): Promise<Record<string, Figure>> {
  const child = await startServer(storeUrl);
  try {
    const streams = Math.ceil(EVENTS / 100);
    const random = (n: number) => Math.floor(Math.random() * n);
    // Warm up: the first requests compile statements and fill caches.
    await load(() => `${child.url}/api/v1/log?limit=10`).catch(() => undefined);
    const log = await load(
      () => `${child.url}/api/v1/log?after=${positions[random(positions.length)]}&limit=100`,
    );
    const stream = await load(() => `${child.url}/api/v1/streams/order-${random(streams)}/events?limit=100`);
    return {
      log: { ...latency(log.samples), errors: log.errors },
      streamEvents: { ...latency(stream.samples), errors: stream.errors },
    };
  } finally {
    await stopServer(child);
  }
}

/** Positions to start pages at: a sample across the log. */
async function samplePositions(store: {
  readAll: (o: { after: bigint; limit: number }) => Promise<{ events: { position: bigint }[]; last: bigint }>;
}) {
  const positions: bigint[] = [0n];
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: 1000 });
    if (page.events.length === 0) break;
    positions.push(page.events[0]!.position);
    after = page.last;
  }
  return positions;
}

async function fanOut(storeUrl: string): Promise<Figure> {
  const child = await startServer(storeUrl);
  const delays: number[] = [];
  const abort = new AbortController();
  let connected = 0;
  try {
    const clients = Array.from({ length: SSE_CLIENTS }, async () => {
      const response = await fetch(`${child.url}/api/v1/log/live`, { headers, signal: abort.signal });
      const reader = (response.body as ReadableStream<Uint8Array>)
        .pipeThrough(new TextDecoderStream())
        .getReader();
      connected++;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          const now = Date.now();
          for (const match of value.matchAll(/"sentAt":(\d+)/g)) delays.push(now - Number(match[1]));
        }
      } catch {
        // aborted at the end
      }
    });
    while (connected < SSE_CLIENTS) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.process.stdin?.write(`append ${SSE_RATE} ${SSE_SECONDS}\n`);
    let achieved = 0;
    for (;;) {
      const line = await child.lines.next();
      if (line.done) break;
      const msg = JSON.parse(line.value);
      if (msg.appended === true) {
        achieved = msg.achieved;
        break;
      }
    }
    const expected = SSE_RATE * SSE_SECONDS * SSE_CLIENTS;
    const deadline = Date.now() + 30_000;
    while (delays.length < expected && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    abort.abort();
    await Promise.allSettled(clients);
    const sorted = delays.sort((a, b) => a - b);
    return {
      value: percentile(sorted, 99),
      unit: 'ms (p99)',
      p50: percentile(sorted, 50),
      max: sorted.at(-1) ?? Number.NaN,
      delivered: sorted.length,
      expected,
      achievedAppendsPerSecond: achieved,
      clients: SSE_CLIENTS,
      target: '< 100 ms',
    };
  } finally {
    abort.abort();
    await stopServer(child);
  }
}

const figures: Record<string, Figure> = {};
const dir = mkdtempSync(join(tmpdir(), 'factum-bench-server-'));
const pool = new pg.Pool({ connectionString: url, max: 8 });
const schema = `factum_bench_${randomBytes(4).toString('hex')}`;
try {
  if (only.includes('sqlite')) {
    const file = join(dir, 'api.db');
    const store = createSqliteStore(file);
    let start = performance.now();
    await fillLog(store, EVENTS);
    const fillSeconds = Math.round(since(start) / 100) / 10;
    const positions = await samplePositions(store);
    await store.close();
    start = performance.now();
    const sqlite = await readLatency(`sqlite:${file}`, positions);
    figures.sqliteLog = { ...(sqlite.log as Figure), fillSeconds };
    figures.sqliteStreamEvents = sqlite.streamEvents as Figure;
    figures.sqliteLiveFanOut = await fanOut(`sqlite:${join(dir, 'live.db')}`);
  }
  if (only.includes('postgres')) {
    const store = await createPostgresStore({ pool, schema, migrate: true });
    const start = performance.now();
    await fillLog(store, EVENTS);
    const fillSeconds = Math.round(since(start) / 100) / 10;
    const positions = await samplePositions(store);
    await store.close();
    const target = new URL(url);
    target.searchParams.set('schema', schema);
    const postgres = await readLatency(target.toString(), positions);
    figures.postgresLog = { ...(postgres.log as Figure), fillSeconds };
    figures.postgresStreamEvents = postgres.streamEvents as Figure;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await pool.end();
}
report('server', figures, {
  events: EVENTS,
  clients: CLIENTS,
  seconds: SECONDS,
  sseClients: SSE_CLIENTS,
  sseRate: SSE_RATE,
});
