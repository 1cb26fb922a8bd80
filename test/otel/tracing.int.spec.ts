import { join } from 'node:path';
import { context, type SpanContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { causedBy, commandHandler, type Decider, type EventStore, type StoredEvent } from 'factum';
import { type Broker, createSqliteBroker, eventLogSource, type Relay, startRelay } from 'factum/messaging';
import { registerTracing } from 'factum/otel';
import { createSqliteStore } from 'factum/sqlite';
import { type SqsBroker, snsTopicName } from 'factum/sqs';
import { waitFor } from 'factum/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrokerKind,
  destroyNamespace,
  openBroker,
  probeBrokers,
  uniqueName,
} from '../support/brokers.js';
import { tempDir } from '../support/temp.js';

const available = await probeBrokers();
const dir = tempDir('factum-otel-');
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('orders-service');
const contextManager = new AsyncHooksContextManager();
let unregister: () => void = () => {};

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  unregister = registerTracing({ tracerProvider: provider });
});
afterAll(async () => {
  unregister();
  context.disable();
  await provider.shutdown();
});
afterEach(() => exporter.reset());

type PlaceOrder = { type: 'PlaceOrder'; orderId: string };
type OrderEvent = { type: 'OrderPlaced' | 'PaymentRequested'; data: { orderId: string } };
const orders: Decider<PlaceOrder, OrderEvent, null> = {
  name: 'order',
  initialState: () => null,
  evolve: (state) => state,
  decide: (command) => [
    { type: 'OrderPlaced', data: { orderId: command.orderId } },
    { type: 'PaymentRequested', data: { orderId: command.orderId } },
  ],
};

/** The consumer groups made, whose queues are deleted with their namespace. */
const groups: string[] = [];

const traceparentOf = (span: { spanContext(): SpanContext }) => {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-01`;
};

/**
 * One command handled inside a span, its two events relayed to `broker`, a consumer that appends a
 * follow-up event for each: the spans and the stored trace context of the whole flow.
 */
async function oneCommand(
  store: EventStore,
  broker: Broker,
  system: string,
  destination: string | undefined,
) {
  const group = uniqueName('billing');
  groups.push(group);
  const got: StoredEvent[] = [];
  const consumer = await broker.consume({ group, categories: ['order'] }, async (event) => {
    await store.append(`receipt-${event.id}`, [{ type: 'Noted', data: {}, metadata: causedBy(event) }]);
    got.push(event);
  });
  const handle = commandHandler(store, orders);
  const orderId = uniqueName('o');
  const command = await tracer.startActiveSpan('POST /orders', async (span) => {
    try {
      await handle(
        `order-${orderId}`,
        { type: 'PlaceOrder', orderId },
        { metadata: { correlationId: orderId } },
      );
      return span;
    } finally {
      span.end();
    }
  });
  let relay: Relay | undefined;
  try {
    relay = startRelay({ source: eventLogSource(store, { name: uniqueName('relay') }), broker });
    await waitFor('both events are handled', () => got.length === 2, 20_000);
  } finally {
    await relay?.stop();
    await consumer.stop();
  }

  const spans = exporter.getFinishedSpans();
  const traceId = command.spanContext().traceId;
  // The command's append: a span in the command's trace, whose context each event stores (the
  // message's creation context).
  const appends = spans.filter(
    (s) => s.name === 'append order' && s.parentSpanContext?.spanId === command.spanContext().spanId,
  );
  expect(appends).toHaveLength(1);
  const append = appends[0]!;
  expect(append.kind).toBe(SpanKind.CLIENT);
  expect(append.attributes).toEqual({
    'db.system.name': 'sqlite',
    'db.operation.name': 'append',
    'factum.stream.id': `order-${orderId}`,
    'factum.event.count': 2,
  });
  const creationSpanId = append.spanContext().spanId;
  const { events } = await store.readStream(`order-${orderId}`);
  expect(events.map((e) => e.metadata.traceparent)).toEqual([traceparentOf(append), traceparentOf(append)]);
  // It travels unchanged on the wire.
  expect(got.map((e) => e.metadata.traceparent)).toEqual([traceparentOf(append), traceparentOf(append)]);

  // The relay's publish of the command's events (the relay publishes the receipts too, later).
  const sends = spans.filter(
    (s) => s.kind === SpanKind.PRODUCER && s.links.some((l) => l.context.spanId === creationSpanId),
  );
  expect(sends).toHaveLength(1);
  const send = sends[0]!;
  expect(send.name).toBe(destination === undefined ? 'send' : `send ${destination}`);
  expect(send.spanContext().traceId).toBe(traceId);
  // Both events of the page share their creation context: it is the parent, and the one link.
  expect(send.parentSpanContext?.spanId).toBe(creationSpanId);
  expect(send.links.map((l) => l.context.spanId)).toEqual([creationSpanId]);
  expect(send.attributes).toEqual({
    'messaging.system': system,
    'messaging.operation.name': 'send',
    'messaging.operation.type': 'send',
    ...(destination === undefined ? {} : { 'messaging.destination.name': destination }),
    'messaging.batch.message_count': 2,
    'messaging.message.conversation_id': orderId,
  });
  expect(send.status.code).toBe(SpanStatusCode.UNSET);

  const processes = spans.filter((s) => s.kind === SpanKind.CONSUMER);
  expect(processes).toHaveLength(2);
  for (const event of got) {
    const process = processes.find((s) => s.attributes['messaging.message.id'] === event.id)!;
    expect(process.spanContext().traceId).toBe(traceId);
    // Single-message processing: the creation context is the parent, and a link.
    expect(process.parentSpanContext?.spanId).toBe(creationSpanId);
    expect(process.links.map((l) => l.context.spanId)).toEqual([creationSpanId]);
    expect(process.attributes).toMatchObject({
      'messaging.system': system,
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': group,
      'messaging.message.id': event.id,
      'messaging.message.conversation_id': orderId,
    });
    expect(typeof process.attributes['messaging.destination.name']).toBe('string');
    if (system === 'rabbitmq') {
      expect(process.attributes['messaging.rabbitmq.destination.routing_key']).toBe(`order.${event.type}`);
      // What a send span of this message alone names.
      expect(broker.routingKeyOf?.(event)).toBe(`order.${event.type}`);
    }
    if (system === 'kafka') expect(process.attributes['messaging.kafka.message.key']).toBe(event.streamId);
    expect(process.name).toBe(`process ${process.attributes['messaging.destination.name']}`);
    // What the handler appends is created in the processing span: its append span is a child.
    const receipt = (await store.readStream(`receipt-${event.id}`)).events[0]!;
    const receiptAppend = spans.find(
      (s) => s.name === 'append receipt' && s.parentSpanContext?.spanId === process.spanContext().spanId,
    )!;
    expect(receipt.metadata.traceparent).toBe(traceparentOf(receiptAppend));
    expect(receipt.metadata.correlationId).toBe(orderId);
  }
}

describe('one trace from a command to its consumers', () => {
  it('through the SQLite transport', async () => {
    const store = createSqliteStore(join(dir, 'sqlite-transport.db'));
    const namespace = uniqueName('ns');
    const broker = createSqliteBroker({ store, namespace });
    try {
      await oneCommand(store, broker, 'sqlite', namespace);
    } finally {
      await broker.close();
      await store.close();
    }
  });

  // RabbitMQ: the exchange. NATS: a subject per event type, so a page of two types names none. Kafka:
  // the topic. SQS with SNS fan-out: the category's topic; with direct fan-out (ElasticMQ), a send
  // goes to each group's queue, so it names none.
  const remote: Array<[BrokerKind, string, (ns: string, broker: Broker) => string | undefined]> = [
    ['rabbitmq', 'rabbitmq', (ns) => ns],
    ['nats', 'nats', () => undefined],
    ['kafka', 'kafka', (ns) => ns],
    ['sqs', 'aws_sqs', () => undefined],
    [
      'sns',
      'aws_sqs',
      (ns, broker) => snsTopicName({ prefix: ns, fifo: (broker as SqsBroker).fifo }, 'order'),
    ],
  ];
  for (const [kind, system, destinationOf] of remote) {
    it.skipIf(!available[kind])(`through ${kind}`, async () => {
      const store = createSqliteStore(join(dir, `${kind}.db`));
      const namespace = uniqueName('otel');
      const broker = await openBroker(kind, namespace);
      try {
        await oneCommand(store, broker, system, destinationOf(namespace, broker));
      } finally {
        await broker.close();
        await store.close();
        await destroyNamespace(kind, namespace, groups);
      }
    });
  }
});

describe('a failing handler', () => {
  it('marks its process span failed with error.type', async () => {
    const store = createSqliteStore(join(dir, 'failing.db'));
    const broker = createSqliteBroker({ store, namespace: uniqueName('ns') });
    const group = uniqueName('g');
    try {
      await broker.declareGroup({ group });
      const dead: string[] = [];
      broker.on('consumer.dead-lettered', (e) => dead.push(e.reason));
      const consumer = await broker.consume({ group, maxDeliveries: 1 }, () => {
        throw new TypeError('no such order');
      });
      const [event] = (
        await trace.getTracer('t').startActiveSpan('x', async (s) => {
          await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
          s.end();
          return store.readStream('order-1');
        })
      ).events;
      await broker.publish([event!]);
      await waitFor('the message is dead-lettered', () => dead.length === 1, 10_000);
      await consumer.stop();
      const process = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER)!;
      expect(process.attributes['error.type']).toBe('TypeError');
      expect(process.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such order' });
    } finally {
      await broker.close();
      await store.close();
    }
  });
});
