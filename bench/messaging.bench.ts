/**
 * Messaging benchmarks, one JSON line:
 * - relay throughput: 100,000 events from a SQLite store to each broker (batches of 500, waiting for
 *   the broker's confirms), beside the raw client publishing the same messages, encoded before its
 *   timer starts, with the same confirmation mode and batch size. The raw rate is the mean of a run
 *   before and a run after the relay, so broker warm-up and noise hit both sides alike;
 * - end-to-end latency append → consumer handler at a steady 500 events/s for 10 s, p50/p99.
 * Needs RabbitMQ and NATS JetStream (FACTUM_AMQP_URL, FACTUM_NATS_URL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect as natsConnect, headers as natsHeaders } from '@nats-io/transport-node';
import amqplib from 'amqplib';
import { createNatsBroker, type NatsBroker, toNatsHeaders } from '../src/brokers/nats/index.js';
import { createRabbitMqBroker, type RabbitMqBroker, toAmqpMessage } from '../src/brokers/rabbitmq/index.js';
import type { StoredEvent } from '../src/core/envelope.js';
import { createSqliteStore, type SqliteEventStore } from '../src/stores/sqlite/index.js';
import { relayEndToEnd, relayThroughput } from './relay-support.js';
import { benchPayload, type Figure, rate, report, since } from './support.js';

const AMQP = process.env.FACTUM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const NATS = process.env.FACTUM_NATS_URL ?? 'nats://127.0.0.1:4222';
const EVENTS = Number(process.env.FACTUM_BENCH_EVENTS ?? 100_000);
const BATCH = 500;
const E2E_RATE = 500;
const E2E_SECONDS = Number(process.env.FACTUM_BENCH_E2E_SECONDS ?? 10);

/** What the relay's timing covers, beside each raw client's. */
const RELAY_INCLUDES = 'store reads, encoding, publishes and confirms, checkpoint commits';

const dir = mkdtempSync(join(tmpdir(), 'factum-bench-messaging-'));
const tag = Date.now().toString(36);

async function seed(
  file: string,
  count: number,
): Promise<{ store: SqliteEventStore; events: StoredEvent[] }> {
  const store = createSqliteStore(file, { synchronous: 'NORMAL' });
  for (let i = 0; i < count; i += 100) {
    const streamId = `order-${i / 100}`;
    await store.append(
      streamId,
      Array.from({ length: Math.min(100, count - i) }, (_, k) => ({
        type: 'OrderPlaced',
        ...benchPayload(i + k),
      })),
    );
  }
  const events: StoredEvent[] = [];
  let after = 0n;
  for (;;) {
    const page = await store.readAll({ after, limit: 10_000 });
    if (page.events.length === 0) break;
    events.push(...page.events);
    after = page.last;
  }
  return { store, events };
}

async function rawRabbit(events: StoredEvent[], exchange: string): Promise<number> {
  const messages = events.map((e) => toAmqpMessage(e, '/factum'));
  // The same socket options as the adapter (Nagle off), so only Factum's own work differs.
  const conn = await amqplib.connect(AMQP, { noDelay: true });
  const channel = await conn.createConfirmChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.assertQueue(`${exchange}.raw`, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(`${exchange}.raw`, exchange, '#');
  const start = performance.now();
  for (let i = 0; i < messages.length; i += BATCH) {
    const confirms = messages.slice(i, i + BATCH).map(
      (m) =>
        new Promise<void>((resolve, reject) => {
          channel.publish(exchange, m.routingKey, m.content, m.properties, (err: unknown) =>
            err ? reject(err) : resolve(),
          );
        }),
    );
    await Promise.all(confirms);
  }
  const ms = since(start);
  await channel.deleteQueue(`${exchange}.raw`);
  await channel.deleteExchange(exchange);
  await conn.close();
  return Math.round((messages.length / ms) * 1000);
}

async function rawNats(events: StoredEvent[], prefix: string): Promise<number> {
  const messages = events.map((e) => ({
    id: e.id,
    subject: `${prefix}.order.OrderPlaced`,
    ...toNatsHeaders(e, '/factum'),
  }));
  // The adapter's connection options (no stack captured ahead of each request), so only Factum's own work differs.
  const nc = await natsConnect({ servers: NATS, noAsyncTraces: true });
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const jsm = await jetstreamManager(nc);
  const stream = `${prefix.toUpperCase()}_RAW`;
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
  const js = jetstream(nc);
  const start = performance.now();
  for (let i = 0; i < messages.length; i += BATCH) {
    await Promise.all(
      messages.slice(i, i + BATCH).map((m) => {
        const h = natsHeaders();
        for (const [k, v] of m.headers) h.set(k, v);
        return js.publish(m.subject, m.body, { msgID: m.id, headers: h });
      }),
    );
  }
  const ms = since(start);
  await jsm.streams.delete(stream);
  await nc.close();
  return Math.round((messages.length / ms) * 1000);
}

const figures: Record<string, Figure> = {};
const { store, events } = await seed(join(dir, 'relay.db'), EVENTS);
const head = events.at(-1)!.position;
try {
  // RabbitMQ
  {
    const exchange = `bench-${tag}`;
    const rawBefore = await rawRabbit(events, `${exchange}-raw1`);
    const broker = (await createRabbitMqBroker({ url: AMQP, exchange })) as RabbitMqBroker;
    await broker.declareGroup({ group: 'sink' });
    // The publishing channel open before the timer, as the raw client's is.
    await broker.publish(events.slice(0, 1));
    const ms = await relayThroughput(store, broker, head, `bench-${broker.name}`, BATCH);
    const rawAfter = await rawRabbit(events, `${exchange}-raw2`);
    figures.rabbitmq_relay = {
      ...rate(EVENTS, ms, Math.round((rawBefore + rawAfter) / 2), '>= 0.85 of raw'),
      rawRuns: [rawBefore, rawAfter],
      rawIncludes: 'publishes and confirms only: messages built (toAmqpMessage) before the timer',
      relayIncludes: RELAY_INCLUDES,
    };
    const e2e = await relayEndToEnd(join(dir, 'e2e-rabbit.db'), broker, E2E_RATE, E2E_SECONDS, BATCH);
    figures.rabbitmq_e2e_p50 = { value: e2e.p50, unit: 'ms', events: e2e.count };
    figures.rabbitmq_e2e_p99 = { value: e2e.p99, unit: 'ms', target: '< 100 ms', events: e2e.count };
    await broker.deleteGroup('sink');
    await broker.deleteGroup('e2e');
    await broker.deleteExchanges();
    await broker.close();
  }
  // NATS JetStream
  {
    const prefix = `bench${tag}`;
    const rawBefore = await rawNats(events, `${prefix}raw1`);
    const broker = (await createNatsBroker({ servers: NATS, prefix })) as NatsBroker;
    const ms = await relayThroughput(store, broker, head, `bench-${broker.name}`, BATCH);
    const rawAfter = await rawNats(events, `${prefix}raw2`);
    figures.nats_relay = {
      ...rate(EVENTS, ms, Math.round((rawBefore + rawAfter) / 2), '>= 0.85 of raw'),
      rawRuns: [rawBefore, rawAfter],
      rawIncludes:
        'header objects filled and publishes acknowledged: header pairs and bodies (toNatsHeaders) built before the timer',
      relayIncludes: RELAY_INCLUDES,
    };
    await broker.deleteStreams();
    await broker.close();
    // A fresh stream, so the latency consumer does not start with the throughput run's history.
    const live = (await createNatsBroker({ servers: NATS, prefix: `${prefix}e2e` })) as NatsBroker;
    const e2e = await relayEndToEnd(join(dir, 'e2e-nats.db'), live, E2E_RATE, E2E_SECONDS, BATCH);
    figures.nats_e2e_p50 = { value: e2e.p50, unit: 'ms', events: e2e.count };
    figures.nats_e2e_p99 = { value: e2e.p99, unit: 'ms', target: '< 100 ms', events: e2e.count };
    await live.deleteStreams();
    await live.close();
  }
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
report('messaging', figures, {
  loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  events: EVENTS,
  batch: BATCH,
  e2eRate: E2E_RATE,
  e2eSeconds: E2E_SECONDS,
});
