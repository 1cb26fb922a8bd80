import { Admin } from '@platformatic/kafka';
import { Kafka as CloudEventsKafka, type KafkaMessage } from 'cloudevents';
import { ErrorCodes, isFactumError, newEventId, type StoredEvent } from 'factum';
import { createKafkaBroker, type KafkaBroker, KafkaDeadLetterHeaders } from 'factum/kafka';
import { interleaved, waitFor } from 'factum/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { range, sleep } from '../support/helpers.js';
import { destroyKafkaNamespace, kafkaBootstrap, probeKafka } from '../support/kafka.js';
import { services } from '../support/services.js';
import { createBroker } from './kafka-worker.js';

const kafka = await probeKafka();
let n = 0;
const unique = () => `fk${Date.now().toString(36)}${process.pid.toString(36)}x${++n}`;

describe.skipIf(!kafka.available)('Kafka adapter', () => {
  const opened: KafkaBroker[] = [];
  const namespaces: string[] = [];
  const open = async (namespace: string) => {
    const broker = await createBroker(namespace);
    opened.push(broker);
    return broker;
  };
  const fresh = async () => {
    const namespace = unique();
    namespaces.push(namespace);
    return { namespace, broker: await open(namespace) };
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close().catch(() => {})));
  });
  afterAll(async () => {
    for (const ns of namespaces) await destroyKafkaNamespace(ns).catch(() => {});
  });

  it('keys each record by its stream id, so a stream stays on one partition in order', async () => {
    const { broker } = await fresh();
    const events = interleaved(['order-1', 'order-2', 'order-3', 'order-4', 'order-5', 'order-6'], 10);
    await broker.publish(events);
    const records = await broker.readTopic();
    expect(records.length).toBe(events.length);
    const partitionOf = new Map<string, Set<number>>();
    const versions = new Map<string, number[]>();
    for (const r of records) {
      const stream = r.key!.toString();
      partitionOf.set(stream, (partitionOf.get(stream) ?? new Set()).add(r.partition));
      versions.set(stream, [...(versions.get(stream) ?? []), Number(r.headers.ce_streamversion)]);
    }
    for (const parts of partitionOf.values()) expect(parts.size).toBe(1);
    for (const v of versions.values()) expect(v).toEqual(range(1, 10));
    // More than one partition is used: the key spreads streams.
    expect(new Set(records.map((r) => r.partition)).size).toBeGreaterThan(1);
  });

  it('writes CloudEvents binary mode per the Kafka binding: the official SDK reads id, type, source, subject, data', async () => {
    const namespace = unique();
    namespaces.push(namespace);
    const broker = await createKafkaBroker({
      brokers: services.kafka,
      topic: namespace,
      groupIdPrefix: `${namespace}.`,
      source: '/orders-service',
    });
    opened.push(broker);
    const event: StoredEvent = {
      id: newEventId(),
      type: 'OrderPlaced',
      streamId: 'order-42',
      category: 'order',
      version: 3,
      position: 9_007_199_254_740_993n,
      schemaVersion: 2,
      timestamp: new Date('2026-03-14T10:00:00.000Z'),
      data: { orderId: 42, total: 4999, note: 'naïve ☕' },
      metadata: {
        correlationId: 'c-1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    };
    await broker.publish([event]);
    const [record] = await broker.readTopic();
    expect(record!.headers['content-type']).toBe('application/json');
    expect(record!.key!.toString()).toBe('order-42');
    const message: KafkaMessage<string> = {
      key: record!.key!.toString(),
      value: record!.value!.toString(),
      headers: record!.headers,
      timestamp: String(record!.timestamp.getTime()),
      body: record!.value!.toString(),
    };
    const ce = CloudEventsKafka.toEvent(message);
    const read = Array.isArray(ce) ? ce[0]! : ce;
    expect(read.specversion).toBe('1.0');
    expect(read.id).toBe(event.id);
    expect(read.type).toBe('OrderPlaced');
    expect(read.source).toBe('/orders-service');
    expect(read.subject).toBe('order-42');
    expect(new Date(read.time!).toISOString()).toBe('2026-03-14T10:00:00.000Z');
    expect(read.data).toEqual(event.data);
    expect(read.position).toBe('9007199254740993');
    expect(read.correlationid).toBe('c-1');
    expect((read as { partitionkey?: unknown }).partitionkey).toBe('order-42');
  });

  it('refuses a record larger than Kafka accepts with a non-retriable error, naming the event', async () => {
    const { broker } = await fresh();
    const [small, big] = interleaved(['order-1'], 2) as [StoredEvent, StoredEvent];
    const huge = { ...big, data: { blob: 'x'.repeat(1_200_000) } };
    const error = await broker.publish([huge]).catch((e: unknown) => e);
    expect(isFactumError(error, ErrorCodes.PUBLISH_NOT_CONFIRMED)).toBe(true);
    expect((error as { retriable: boolean }).retriable).toBe(false);
    expect((error as Error).message).toContain(huge.id);
    // The producer keeps working for the records that fit.
    await broker.publish([small]);
    expect((await broker.readTopic()).map((r) => r.headers.ce_id)).toEqual([small.id]);
  });

  it('creates topics with the configured partitions, replication factor, min.insync.replicas and configs', async () => {
    const namespace = unique();
    namespaces.push(namespace);
    const broker = await createKafkaBroker({
      brokers: services.kafka,
      topic: namespace,
      groupIdPrefix: `${namespace}.`,
      topicOptions: {
        partitions: 4,
        replicationFactor: 1,
        minInsyncReplicas: 1,
        configs: { 'retention.ms': '3600000' },
      },
    });
    opened.push(broker);
    expect(await broker.partitions()).toEqual([0, 1, 2, 3]);
    const admin = new Admin({ clientId: 'factum-test', bootstrapBrokers: kafkaBootstrap });
    try {
      const [described] = await admin.describeConfigs({
        resources: [
          {
            resourceType: 2,
            resourceName: namespace,
            configurationKeys: ['min.insync.replicas', 'retention.ms'],
          },
        ],
      });
      const values = Object.fromEntries(described!.configs.map((c) => [c.name, c.value]));
      expect(values).toMatchObject({ 'min.insync.replicas': '1', 'retention.ms': '3600000' });
      const meta = await admin.metadata({ topics: [namespace] });
      for (const p of meta.topics.get(namespace)!.partitions) expect(p.replicas.length).toBe(1);
    } finally {
      await admin.close();
    }
    // Creating again (another process, a restart) is a no-op.
    await broker.ensureTopic(namespace, 4);
  });

  it('puts dead letters on <topic>.<group>.dlq with the original record and the error in headers', async () => {
    const { broker } = await fresh();
    const events = interleaved(['order-1'], 3);
    const poison = events[1]!;
    await broker.declareGroup({ group: 'billing' });
    await broker.consume({ group: 'billing', maxDeliveries: 2, retry: { initialDelayMs: 5 } }, (e) => {
      if (e.id === poison.id) throw new Error(`card declined for ${e.streamId}`);
    });
    await broker.publish(events);
    let records: Awaited<ReturnType<KafkaBroker['readTopic']>> = [];
    await waitFor(
      'the dead letter is stored',
      async () => {
        records = await broker.readTopic(broker.deadLetterTopic('billing'));
        return records.length === 1;
      },
      15_000,
    );
    const r = records[0]!;
    expect(broker.deadLetterTopic('billing')).toBe(`${broker.topic}.billing.dlq`);
    expect(r.key!.toString()).toBe('order-1');
    expect(r.headers.ce_id).toBe(poison.id);
    expect(r.headers[KafkaDeadLetterHeaders.reason]).toBe('handler-failed');
    expect(r.headers[KafkaDeadLetterHeaders.error]).toBe('card declined for order-1');
    expect(r.headers[KafkaDeadLetterHeaders.attempts]).toBe('2');
    expect(r.headers[KafkaDeadLetterHeaders.group]).toBe('billing');
    expect(r.headers[KafkaDeadLetterHeaders.topic]).toBe(broker.topic);
    expect(Number(r.headers[KafkaDeadLetterHeaders.offset])).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(r.value!.toString())).toEqual(poison.data);
    await waitFor('the group is drained', async () => (await broker.lag('billing')).lag === 0, 15_000);
  });

  it('counts deliveries across consumers in the commit metadata: a record no consumer finishes ends in the DLQ', async () => {
    const { namespace, broker } = await fresh();
    const [stuck, after] = interleaved(['order-1'], 2) as [StoredEvent, StoredEvent];
    await broker.declareGroup({ group: 'g' });
    await broker.publish([stuck, after]);
    const counts: number[] = [];
    // Two consumers in a row take the record and are stopped before their handler finishes.
    for (let i = 0; i < 2; i++) {
      const b = await open(namespace);
      const consumer = await b.consume({ group: 'g', maxDeliveries: 2 }, async (e, ctx) => {
        counts.push(ctx.deliveryCount);
        await new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        );
        void e;
      });
      await waitFor('the record is taken', () => counts.length === i + 1, 15_000);
      await consumer.stop();
    }
    expect(counts).toEqual([1, 2]);
    // The third delivery is past maxDeliveries: dead-lettered without calling the handler.
    const handled: string[] = [];
    await broker.consume({ group: 'g', maxDeliveries: 2 }, (e) => {
      handled.push(e.id);
    });
    await waitFor('the next record is handled', () => handled.includes(after.id), 15_000);
    expect(handled).not.toContain(stuck.id);
    const letters = await broker.deadLetters('g');
    expect(letters.map((l) => [l.reason, l.event?.id, l.attempts])).toEqual([
      ['delivery-limit', stuck.id, 2],
    ]);
  });

  it('hands a partition over only after its previous owner finished: no stream is handled twice or out of order', async () => {
    const { namespace, broker } = await fresh();
    await broker.declareGroup({ group: 'g' });
    const log: [string, number, string][] = [];
    const handler = (who: string) => async (e: StoredEvent) => {
      await sleep(20);
      log.push([e.streamId, e.version, who]);
    };
    await broker.consume({ group: 'g' }, handler('a'));
    const events = interleaved(['order-1', 'order-2', 'order-3', 'order-4', 'order-5', 'order-6'], 25);
    await broker.publish(events.slice(0, 50));
    await waitFor('a started', () => log.length >= 10, 15_000);
    const other = await open(namespace);
    const b = await other.consume({ group: 'g' }, handler('b'));
    await broker.publish(events.slice(50, 100));
    await waitFor('b handled some', () => log.some(([, , who]) => who === 'b'), 15_000);
    await b.stop();
    await broker.publish(events.slice(100));
    await waitFor(
      'every event is handled',
      () => new Set(log.map(([s, v]) => `${s}:${v}`)).size === 150,
      20_000,
    );
    await sleep(200);
    // Completion order per stream is exactly 1..25: no redelivery and no overlap between the two members.
    const byStream = new Map<string, number[]>();
    for (const [s, v] of log) byStream.set(s, [...(byStream.get(s) ?? []), v]);
    for (const versions of byStream.values()) expect(versions).toEqual(range(1, 25));
    expect(log.length).toBe(150);
  });

  it('moves on when the records at the committed offset were removed by retention', async () => {
    const { broker } = await fresh();
    await broker.declareGroup({ group: 'g' });
    const old = interleaved(['order-1', 'order-2', 'order-3'], 4);
    await broker.publish(old);
    // What retention does: the log now starts after these records, past the group's committed offset.
    const ends = await broker.admin.listOffsets({
      topics: [
        {
          name: broker.topic,
          partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })),
        },
      ],
    });
    await broker.admin.deleteRecords({
      topics: [
        {
          name: broker.topic,
          partitions: ends[0]!.partitions.map((p) => ({ partition: p.partitionIndex, offset: p.offset })),
        },
      ],
    });
    const fresh2 = interleaved(['order-1', 'order-2', 'order-3'], 3);
    await broker.publish(fresh2);
    const seen: string[] = [];
    await broker.consume({ group: 'g' }, (e) => {
      seen.push(e.id);
    });
    await waitFor(
      'the records after the removed ones are handled',
      () => seen.length === fresh2.length,
      15_000,
    );
    expect(seen.sort()).toEqual(fresh2.map((e) => e.id).sort());
    await waitFor('the group is drained', async () => (await broker.lag('g')).lag === 0, 15_000);
  });

  it('replays: a stopped group is reset to the beginning or to a time, and refused while it runs', async () => {
    const { broker } = await fresh();
    await broker.declareGroup({ group: 'projection' });
    const seen: number[] = [];
    const consumer = await broker.consume({ group: 'projection' }, (e) => {
      seen.push(e.version);
    });
    const first = interleaved(['order-1'], 10);
    await broker.publish(first.slice(0, 5));
    await waitFor('the first events', () => seen.length === 5, 15_000);
    await sleep(20);
    const between = new Date();
    await sleep(20);
    await broker.publish(first.slice(5));
    await waitFor('all events', () => seen.length === 10, 15_000);
    const refused = await broker.resetOffsets('projection', { to: 'earliest' }).catch((e: unknown) => e);
    expect(isFactumError(refused, ErrorCodes.GROUP_ACTIVE)).toBe(true);
    await consumer.stop();

    const reset = await broker.resetOffsets('projection', { to: 'earliest' });
    expect(reset.partitions.length).toBe(3);
    expect((await broker.lag('projection')).lag).toBe(10);
    seen.length = 0;
    const again = await broker.consume({ group: 'projection' }, (e) => {
      seen.push(e.version);
    });
    await waitFor('the replay', () => seen.length === 10, 15_000);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await again.stop();

    await broker.resetOffsets('projection', { to: between });
    expect((await broker.lag('projection')).lag).toBe(5);
    seen.length = 0;
    await broker.consume({ group: 'projection' }, (e) => {
      seen.push(e.version);
    });
    await waitFor('the replay from the time', () => seen.length === 5, 15_000);
    expect(seen).toEqual([6, 7, 8, 9, 10]);

    const bad = await broker
      .resetOffsets('projection', { to: 'yesterday' as never })
      .catch((e: unknown) => e);
    expect(isFactumError(bad, ErrorCodes.INVALID_ARGUMENT)).toBe(true);
  });

  it('a group declared before publishing sees every later event and reports lag per partition', async () => {
    const { broker } = await fresh();
    await broker.publish(interleaved(['order-0'], 3)); // before the group exists: not for it
    await broker.declareGroup({ group: 'g' });
    await broker.publish(interleaved(['order-1', 'order-2', 'order-3', 'order-4'], 5));
    const lag = await broker.lag('g');
    expect(lag.lag).toBe(20);
    expect(lag.partitions.map((p) => p.partition)).toEqual([0, 1, 2].map((p) => `${broker.topic}-${p}`));
    expect(lag.partitions.reduce((s, p) => s + p.lag, 0)).toBe(20);
  });
});
