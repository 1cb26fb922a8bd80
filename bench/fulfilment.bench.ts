// The main job end to end (examples/fulfilment), one JSON line: on a SQLite file, FACTUM_BENCH_ORDERS
// (2,000) orders placed at FACTUM_BENCH_ORDER_RATE (200/s, open loop) through the fulfilment saga and
// its four services in one process; orders ended (shipped or cancelled) per second from the first
// order to the last end, and placed → shipped latency (p50/p99/max, from the board's timestamps:
// the OrderShipped event's time minus the OrderPlaced event's). Every invariant is checked at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORDERS, type OrderDoc } from '../examples/fulfilment/read-model.js';
import { startFulfilment } from '../examples/fulfilment/system.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { type Figure, percentile, report, since } from './support.js';

const ORDERS_N = Number(process.env.FACTUM_BENCH_ORDERS ?? 2_000);
const RATE = Number(process.env.FACTUM_BENCH_ORDER_RATE ?? 200);
const mode = (process.env.FACTUM_BENCH_MODE ?? 'orchestrated') as 'orchestrated' | 'choreographed';

const dir = mkdtempSync(join(tmpdir(), 'factum-bench-fulfilment-'));
const figures: Record<string, Figure> = {};
const extra: Record<string, unknown> = {};
try {
  const store = createSqliteStore(join(dir, 'fulfilment.db'));
  const system = await startFulfilment(store, { mode });
  const start = performance.now();
  await system.generate({ perSecond: RATE, count: ORDERS_N });
  const placedSeconds = since(start) / 1000;
  while (!(await system.settled())) await new Promise((resolve) => setTimeout(resolve, 100));
  const elapsed = since(start);
  const orders = await system.projections.documents<OrderDoc>(ORDERS).find({}, { limit: ORDERS_N + 10 });
  const shipped = orders.filter((o) => o.status === 'shipped' && o.endedAt !== null);
  const latencies = shipped.map((o) => (o.endedAt as number) - o.placedAt).sort((a, b) => a - b);
  figures.sqliteOrdersPerSecond = {
    value: Math.round((orders.length / elapsed) * 1000),
    unit: 'orders/s',
    offered: RATE,
    placedSeconds: Math.round(placedSeconds * 10) / 10,
  };
  figures.sqlitePlacedToShipped = {
    value: percentile(latencies, 99),
    unit: 'ms (p99)',
    p50: percentile(latencies, 50),
    max: latencies.at(-1) ?? Number.NaN,
    shipped: shipped.length,
  };
  const checks = await system.checks();
  extra.invariants = checks.every((c) => c.ok) ? 'all hold' : checks.filter((c) => !c.ok).map((c) => c.name);
  const totals = await system.totals();
  extra.cancelled = totals.cancelled;
  extra.stockOuts = totals.stockShort;
  await system.stop();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
report('fulfilment', figures, { orders: ORDERS_N, offeredPerSecond: RATE, mode, ...extra });
