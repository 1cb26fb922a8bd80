import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Broker } from '../src/messaging/broker.js';
import { eventLogSource, startRelay } from '../src/messaging/index.js';
import { createSqliteStore, type SqliteEventStore } from '../src/stores/sqlite/index.js';
import { percentile, since } from './support.js';

/** Milliseconds a relay takes to publish the store's log up to `head` to `broker` (checkpoint committed). */
export async function relayThroughput(
  store: SqliteEventStore,
  broker: Broker,
  head: bigint,
  name: string,
  batchSize: number,
): Promise<number> {
  const relay = startRelay({
    source: eventLogSource(store, { name }),
    broker,
    batchSize,
  });
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    relay.on('relay.committed', (e) => {
      if (e.lastPosition >= head) resolve();
    });
    relay.done.catch(reject);
  });
  const ms = since(start);
  await relay.stop();
  return ms;
}

/**
 * Append → consumer handler latency through a relay at a steady `rate` for `seconds`: a fresh SQLite
 * store at `file`, a relay of `batchSize` to `broker`, a consumer group 'e2e'. Each append starts at
 * its due time. Also reports how late this process's event loop ran (p99, ms): machine load shows
 * there before it shows in the broker.
 */
export async function relayEndToEnd(
  file: string,
  broker: Broker,
  rate: number,
  seconds: number,
  batchSize: number,
): Promise<{ p50: number; p99: number; count: number; loopDelayP99: number }> {
  const store = createSqliteStore(file);
  const latencies: number[] = [];
  await broker.declareGroup({ group: 'e2e' });
  const consumer = await broker.consume({ group: 'e2e' }, (event) => {
    latencies.push(Date.now() - (event.data as { sentAt: number }).sentAt);
  });
  const relay = startRelay({
    source: eventLogSource(store, { name: 'e2e' }),
    broker,
    batchSize,
  });
  const total = rate * seconds;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await store.append(`order-${i % 50}`, [{ type: 'ItemAdded', data: { i, sentAt: Date.now() } }]);
  }
  const deadline = Date.now() + 30_000;
  while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  loop.disable();
  await relay.stop();
  await consumer.stop();
  await store.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    count: latencies.length,
    loopDelayP99: Math.round(loop.percentile(99) / 1e6),
  };
}
