// The main job end to end (examples/fulfilment), one JSON line: FACTUM_BENCH_ORDERS (2,000) orders
// placed at FACTUM_BENCH_ORDER_RATE (200/s, open loop) through the fulfilment saga and its four
// services, each on its own store, in one process, over each transport of FACTUM_BENCH_TRANSPORTS
// (default `sqlite`; a comma list of sqlite, rabbitmq, nats, kafka, sqs): orders ended (shipped or
// cancelled) per second from the first order to the last end, and placed → shipped latency
// (p50/p99/max, from the board's timestamps: the OrderShipped event's time minus the OrderPlaced
// event's). Stores on SQLite files, or FACTUM_BENCH_STORE=postgres for a schema per service in
// FACTUM_PG_URL. Every invariant is checked at the end. Progress goes to stderr once a second.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ORDERS, type OrderDoc } from '../examples/fulfilment/read-model.js';
import { ALL_GROUPS } from '../examples/fulfilment/service.js';
import { openSystem, ROLES, startFulfilment } from '../examples/fulfilment/system.js';
import { type BrokerKind, destroyNamespace } from '../test/support/brokers.js';
import { type Figure, percentile, report, since } from './support.js';

const ORDERS_N = Number(process.env.FACTUM_BENCH_ORDERS ?? 2_000);
const RATE = Number(process.env.FACTUM_BENCH_ORDER_RATE ?? 200);
const mode = (process.env.FACTUM_BENCH_MODE ?? 'orchestrated') as 'orchestrated' | 'choreographed';
const onPostgres = process.env.FACTUM_BENCH_STORE === 'postgres';
const pgUrl = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const transports = (process.env.FACTUM_BENCH_TRANSPORTS ?? 'sqlite').split(',').map((t) => t.trim());

const run = `fb${Date.now().toString(36)}`;
const brokerUrls: Record<string, (dir: string) => string> = {
  sqlite: (dir) => `sqlite:${join(dir, 'bus.db')}`,
  rabbitmq: () => `${process.env.FACTUM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'}?exchange=${run}`,
  nats: () => `${process.env.FACTUM_NATS_URL ?? 'nats://127.0.0.1:4222'}?prefix=${run}`,
  kafka: () =>
    `kafka://${process.env.FACTUM_KAFKA_BROKERS ?? '127.0.0.1:9092'}?topic=${run}&groupIdPrefix=${run}.`,
  sqs: () => `sqs://127.0.0.1:9324?region=us-east-1&prefix=${run}&fanOut=direct`,
};

const figures: Record<string, Figure> = {};
const extra: Record<string, unknown> = {};
for (const transport of transports) {
  const url = brokerUrls[transport];
  if (url === undefined)
    throw new Error(`unknown transport ${transport}: ${Object.keys(brokerUrls).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'factum-bench-fulfilment-'));
  const schema = `${run}_${transport}`;
  const storeBase = onPostgres ? `${pgUrl}?schema=${schema}` : `sqlite:${dir}`;
  try {
    const opened = await openSystem(ROLES, storeBase, url(dir));
    const system = await startFulfilment(opened.topology, { mode });
    const board = system.board!;
    const start = performance.now();
    const progress = setInterval(async () => {
      const t = await board.totals();
      process.stderr.write(
        `${transport}: ${Math.round(since(start) / 1000)} s, placed ${t?.placed ?? 0}, ended ${(t?.shipped ?? 0) + (t?.cancelled ?? 0)}\n`,
      );
    }, 1_000);
    await system.generate({ perSecond: RATE, count: ORDERS_N });
    const placedSeconds = since(start) / 1000;
    while (!(await board.settled()) || ((await board.totals())?.placed ?? 0) < ORDERS_N)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const elapsed = since(start);
    clearInterval(progress);
    const orders = await board.projections.documents<OrderDoc>(ORDERS).find({}, { limit: ORDERS_N + 10 });
    const shipped = orders.filter((o) => o.status === 'shipped' && o.endedAt !== null);
    const latencies = shipped.map((o) => (o.endedAt as number) - o.placedAt).sort((a, b) => a - b);
    const name = `${onPostgres ? 'postgres' : 'sqlite'}+${transport}`;
    figures[`${name} orders/s`] = {
      value: Math.round((orders.length / elapsed) * 1000),
      unit: 'orders/s',
      offered: RATE,
      placedSeconds: Math.round(placedSeconds * 10) / 10,
    };
    figures[`${name} placed→shipped`] = {
      value: percentile(latencies, 99),
      unit: 'ms (p99)',
      p50: percentile(latencies, 50),
      max: latencies.at(-1) ?? Number.NaN,
      shipped: shipped.length,
    };
    const checks = await board.checks();
    const totals = await board.totals();
    extra[name] = {
      invariants: checks.every((c) => c.ok)
        ? 'all hold'
        : checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
      cancelled: totals?.cancelled,
      stockOuts: totals?.stockShort,
    };
    await system.stop();
    await opened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    // The run's exchange and queues, streams, topics or queues go too.
    if (transport !== 'sqlite') await destroyNamespace(transport as BrokerKind, run, [...ALL_GROUPS]);
    if (onPostgres) {
      const client = new pg.Client(pgUrl);
      await client.connect();
      for (const role of ROLES) await client.query(`DROP SCHEMA IF EXISTS "${schema}_${role}" CASCADE`);
      await client.end();
    }
  }
}
report('fulfilment', figures, { orders: ORDERS_N, offeredPerSecond: RATE, mode, ...extra });
