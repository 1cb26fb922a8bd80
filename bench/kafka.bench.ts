/**
 * Kafka benchmark, one JSON line:
 * - relay throughput: 100,000 events from a SQLite store to Kafka through the outbox relay (batches of
 *   500, each resolved only when Kafka acknowledged it with acks=all from the idempotent producer),
 *   beside the raw @platformatic/kafka producer sending the same records (same key, headers, value,
 *   acks, idempotence, partitioner and batch size) in the same run. The raw rate is the mean of a run
 *   before and a run after the relay, so broker warm-up and noise hit both sides alike;
 * - end-to-end latency append → consumer handler at a steady 500 events/s for 10 s, p50/p99.
 * Needs Kafka (FACTUM_KAFKA_BROKERS, default 127.0.0.1:9092; `scripts/kafka start`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, compatibilityPartitioner, ProduceAcks, Producer } from '@platformatic/kafka';
import { createKafkaBroker, toKafkaRecord } from '../src/brokers/kafka/index.js';
import type { StoredEvent } from '../src/core/envelope.js';
import { createSqliteStore, type SqliteEventStore } from '../src/stores/sqlite/index.js';
import { relayEndToEnd, relayThroughput } from './relay-support.js';
import { benchPayload, type Figure, rate, report, since } from './support.js';

const BROKERS = (process.env.FACTUM_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const EVENTS = Number(process.env.FACTUM_BENCH_EVENTS ?? 100_000);
const BATCH = 500;
const PARTITIONS = 6;
const E2E_RATE = 500;
const E2E_SECONDS = Number(process.env.FACTUM_BENCH_E2E_SECONDS ?? 10);

const dir = mkdtempSync(join(tmpdir(), 'factum-bench-kafka-'));
const tag = `bench${Date.now().toString(36)}`;
const topics: string[] = [];

async function seed(
  file: string,
  count: number,
): Promise<{ store: SqliteEventStore; events: StoredEvent[] }> {
  const store = createSqliteStore(file, { synchronous: 'NORMAL' });
  for (let i = 0; i < count; i += 100) {
    await store.append(
      `order-${i / 100}`,
      Array.from({ length: Math.min(100, count - i) }, (_, k) => ({
        type: 'OrderPlaced',
        ...benchPayload(i + k),
      })),
    );
  }
  const events: StoredEvent[] = [];
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: 10_000 });
    if (page.events.length === 0) break;
    events.push(...page.events);
    after = page.last;
  }
  return { store, events };
}

async function createTopic(admin: Admin, name: string): Promise<void> {
  topics.push(name);
  await admin.createTopics({ topics: [name], partitions: PARTITIONS, replicas: -1 });
  for (;;) {
    const meta = await admin.metadata({ topics: [name], forceUpdate: true });
    if (meta.topics.get(name)?.partitions.every((p) => p.leader >= 0)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The raw client: same records, acks=all, idempotent, one send of 500 at a time. */
async function raw(admin: Admin, events: StoredEvent[], topic: string): Promise<number> {
  await createTopic(admin, topic);
  const records = events.map((e) => ({ topic, ...toKafkaRecord(e, '/factum') }));
  const producer = new Producer({
    clientId: 'factum-bench-raw',
    bootstrapBrokers: BROKERS,
    idempotent: true,
    acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner,
  });
  await producer.send({ messages: records.slice(0, 1) });
  const start = performance.now();
  for (let i = 1; i < records.length; i += BATCH)
    await producer.send({ messages: records.slice(i, i + BATCH) });
  const ms = since(start);
  await producer.close();
  return ((records.length - 1) / ms) * 1000;
}

const figures: Record<string, Figure> = {};
const admin = new Admin({ clientId: 'factum-bench', bootstrapBrokers: BROKERS });
const { store, events } = await seed(join(dir, 'relay.db'), EVENTS);
const head = events.at(-1)!.position;
const brokerOptions = (topic: string) => ({
  brokers: BROKERS,
  topic,
  groupIdPrefix: `${tag}.`,
  topicOptions: { partitions: PARTITIONS },
});
try {
  const rawBefore = await raw(admin, events, `${tag}-raw1`);
  topics.push(`${tag}-relay`);
  const broker = await createKafkaBroker(brokerOptions(`${tag}-relay`));
  // Connected and producing before the timer, as the raw producer is (its first send is untimed).
  await broker.publish(events.slice(0, 1));
  const ms = await relayThroughput(store, broker, head, `bench-${broker.topic}`, BATCH);
  await broker.close();
  const rawAfter = await raw(admin, events, `${tag}-raw2`);
  const rawRate = Math.round((rawBefore + rawAfter) / 2);
  figures.kafka_relay = {
    ...rate(EVENTS, ms, rawRate, '>= 0.75 of raw'),
    rawRuns: [Math.round(rawBefore), Math.round(rawAfter)],
    rawIncludes: 'producer sends only: records built (toKafkaRecord) before the timer',
    relayIncludes: 'store reads, encoding, sends and acknowledgements, checkpoint commits',
  };
  topics.push(`${tag}-e2e`, `${tag}-e2e.e2e.dlq`);
  const live = await createKafkaBroker(brokerOptions(`${tag}-e2e`));
  const e2e = await relayEndToEnd(join(dir, 'e2e.db'), live, E2E_RATE, E2E_SECONDS, BATCH);
  figures.kafka_e2e_p50 = { value: e2e.p50, unit: 'ms', events: e2e.count };
  figures.kafka_e2e_p99 = {
    value: e2e.p99,
    unit: 'ms',
    target: '< 100 ms',
    events: e2e.count,
    eventLoopDelayP99Ms: e2e.loopDelayP99,
  };
  await live.close();
} finally {
  await store.close();
  await admin.deleteTopics({ topics }).catch(() => {});
  const groups = [...(await admin.listGroups().catch(() => new Map())).keys()].filter((g: string) =>
    g.startsWith(`${tag}.`),
  );
  if (groups.length > 0) await admin.deleteGroups({ groups }).catch(() => {});
  await admin.close();
  rmSync(dir, { recursive: true, force: true });
}
report('kafka', figures, {
  client: '@platformatic/kafka',
  loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  events: EVENTS,
  batch: BATCH,
  partitions: PARTITIONS,
  acks: 'all',
  idempotent: true,
  e2eRate: E2E_RATE,
  e2eSeconds: E2E_SECONDS,
});
