/**
 * The SQLite transport (createSqliteBroker), one JSON line:
 * - publish → handler throughput: 20,000 events (100 streams) published in batches of 100, each
 *   batch one commit, until the consumer's handler has seen the last one;
 * - publish → handler latency at a steady 500 events/s for 10 s, one commit per event, p50/p99;
 * each with the consumer in the same process and in a second process (polling every 50 ms, woken
 * at once only within its process). The broker's own file, default settings (synchronous=FULL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteBroker } from '../src/messaging/index.js';
import { publishAll, publishSteadily, wallMs } from './sqlite-broker-support.js';
import { type Figure, percentile, rate, report } from './support.js';

const EVENTS = Number(process.env.FACTUM_BENCH_EVENTS ?? 20_000);
const BATCH = 100;
const E2E_RATE = 500;
const E2E_SECONDS = Number(process.env.FACTUM_BENCH_E2E_SECONDS ?? 10);

const dir = mkdtempSync(join(tmpdir(), 'factum-bench-sqlite-broker-'));
const figures: Record<string, Figure> = {};

function latencyFigures(prefix: string, latencies: number[]): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 100) / 100;
  figures[`${prefix}_p50`] = { value: round(percentile(sorted, 50)), unit: 'ms', events: sorted.length };
  figures[`${prefix}_p99`] = { value: round(percentile(sorted, 99)), unit: 'ms', events: sorted.length };
}

async function oneProcess(): Promise<void> {
  const file = join(dir, 'one.db');
  const broker = createSqliteBroker({ file, namespace: 'bench' });
  await broker.declareGroup({ group: 'g' });
  let seen = 0;
  let latencies: number[] = [];
  let done: () => void = () => {};
  let target = EVENTS;
  await broker.consume({ group: 'g', prefetch: 50 }, (event) => {
    latencies.push(wallMs() - Number((event.metadata as { sentAt: number }).sentAt));
    if (++seen === target) done();
  });
  let arrived = new Promise<void>((resolve) => {
    done = resolve;
  });
  const start = performance.now();
  await publishAll(broker, EVENTS, BATCH);
  await arrived;
  figures.one_process_throughput = rate(EVENTS, performance.now() - start);
  seen = 0;
  latencies = [];
  target = E2E_RATE * E2E_SECONDS;
  arrived = new Promise<void>((resolve) => {
    done = resolve;
  });
  await publishSteadily(broker, E2E_RATE, E2E_SECONDS, EVENTS);
  await arrived;
  latencyFigures('one_process_latency', latencies);
  await broker.close();
}

function child(file: string): { proc: ChildProcess; next: () => Promise<string> } {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./sqlite-broker-child.ts', import.meta.url).pathname, file, 'bench', 'g'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffer = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      const w = waiting.shift();
      if (w === undefined) lines.push(line);
      else w(line);
    }
  });
  const next = () =>
    lines.length > 0
      ? Promise.resolve(lines.shift()!)
      : new Promise<string>((resolve) => waiting.push(resolve));
  return { proc, next };
}

async function twoProcesses(): Promise<void> {
  const file = join(dir, 'two.db');
  const broker = createSqliteBroker({ file, namespace: 'bench' });
  await broker.declareGroup({ group: 'g' });
  const { proc, next } = child(file);
  try {
    if ((await next()) !== 'ready') throw new Error('the consumer process did not start');
    proc.stdin!.write(`expect ${EVENTS}\n`);
    const start = performance.now();
    await publishAll(broker, EVENTS, BATCH);
    JSON.parse(await next());
    figures.two_processes_throughput = rate(EVENTS, performance.now() - start);
    proc.stdin!.write(`expect ${E2E_RATE * E2E_SECONDS}\n`);
    await publishSteadily(broker, E2E_RATE, E2E_SECONDS, EVENTS);
    const { latencies } = JSON.parse(await next()) as { latencies: number[] };
    latencyFigures('two_processes_latency', latencies);
  } finally {
    proc.stdin!.end();
    proc.kill();
    await broker.close();
  }
}

try {
  await oneProcess();
  await twoProcesses();
  report('sqlite-broker', figures, {
    events: EVENTS,
    batch: BATCH,
    e2eRate: E2E_RATE,
    e2eSeconds: E2E_SECONDS,
    pollMs: 50,
    synchronous: 'FULL',
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
