import { cpus, totalmem } from 'node:os';
import type { EventStore } from '../src/core/store.js';

/** One measured figure; `raw` is the same work done by the plain driver in the same run. */
export interface Figure {
  value: number;
  unit: string;
  raw?: number;
  /** value / raw, rounded to 3 places (for latencies: raw / value, so higher is better either way). */
  ratio?: number;
  target?: string;
  [extra: string]: unknown;
}

/** Prints one JSON line for a benchmark: its name, the machine, and each figure. */
export function report(
  bench: string,
  figures: Record<string, Figure>,
  extra: Record<string, unknown> = {},
): void {
  const line = {
    bench,
    at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    ...extra,
    figures,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** A throughput figure with its ratio to the raw limit. */
export function rate(count: number, ms: number, rawRate?: number, target?: string): Figure {
  const value = Math.round((count / ms) * 1000);
  const figure: Figure = { value, unit: 'events/s' };
  if (rawRate !== undefined) {
    figure.raw = rawRate;
    figure.ratio = Math.round((value / rawRate) * 1000) / 1000;
  }
  if (target !== undefined) figure.target = target;
  return figure;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Milliseconds since `start` (from performance.now()). */
export function since(start: number): number {
  return performance.now() - start;
}

/** Runs `count` jobs on `concurrency` workers; returns the elapsed ms. */
export async function parallel(
  count: number,
  concurrency: number,
  job: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await job(i);
    }),
  );
  return since(start);
}

/**
 * Pages through the whole log with readAll (pages of 1,000), calling `onPage` with the events read so
 * far after each page; returns how many events and how long it took (ms).
 */
export async function readLog(
  store: EventStore,
  onPage?: (read: number) => void,
): Promise<{ events: number; ms: number }> {
  let events = 0;
  const start = performance.now();
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: 1000 });
    if (page.events.length === 0) break;
    events += page.events.length;
    after = page.last;
    onPage?.(events);
  }
  return { events, ms: since(start) };
}

/** The ~300-byte data and ~130-byte metadata every store benchmark appends. */
export function benchPayload(i: number): {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
} {
  return {
    data: {
      orderId: `order-${i}`,
      customerId: `customer-${i % 997}`,
      items: [
        { sku: 'SKU-000123', qty: 2, price: 1999 },
        { sku: 'SKU-000456', qty: 1, price: 4999 },
      ],
      total: 8997,
      currency: 'EUR',
      shipping: { street: '12 Long Street', city: 'Springfield', zip: '12345', country: 'DE' },
      note: 'leave at the door',
    },
    metadata: {
      correlationId: '0190f3c2-7a1e-7c55-9b1e-3f2d4c5b6a79',
      causationId: '0190f3c2-7a1e-7c55-9b1e-3f2d4c5b6a7a',
      userId: `user-${i % 101}`,
    },
  };
}
