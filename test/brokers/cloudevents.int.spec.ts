import amqplib from 'amqplib';
import { CloudEvent, HTTP } from 'cloudevents';
import { newEventId, type StoredEvent } from 'factum';
import { createNatsBroker, type NatsBroker } from 'factum/nats';
import { createRabbitMqBroker, type RabbitMqBroker } from 'factum/rabbitmq';
import { waitFor } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { probeBrokers, uniqueName } from '../support/brokers.js';
import { services } from '../support/services.js';

const available = await probeBrokers();

const event: StoredEvent = {
  id: newEventId(),
  type: 'OrderPlaced',
  streamId: 'order-42',
  category: 'order',
  version: 3,
  position: 9_007_199_254_740_993n,
  schemaVersion: 2,
  timestamp: new Date('2026-03-14T10:00:00.000Z'),
  data: { orderId: 42, total: 4999 },
  metadata: {
    correlationId: 'c-1',
    causationId: 'e-0',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    tracestate: 'vendor=opaque',
  },
};

function expectFactumFields(ce: CloudEvent<unknown>) {
  expect(ce.specversion).toBe('1.0');
  expect(ce.id).toBe(event.id);
  expect(ce.type).toBe('OrderPlaced');
  expect(ce.source).toBe('/orders-service');
  expect(ce.subject).toBe('order-42');
  expect(new Date(ce.time!).toISOString()).toBe('2026-03-14T10:00:00.000Z');
  expect(ce.data).toEqual({ orderId: 42, total: 4999 });
  expect(ce.position).toBe('9007199254740993');
  expect(ce.streamversion).toBe('3');
  expect(ce.traceparent).toBe(event.metadata.traceparent);
  expect(ce.tracestate).toBe(event.metadata.tracestate);
}

describe('CloudEvents binary content mode, read by the official cloudevents SDK', () => {
  it.skipIf(!available.rabbitmq)('RabbitMQ: cloudEvents_* headers and content type', async () => {
    const exchange = uniqueName('ce');
    const broker = (await createRabbitMqBroker({
      url: services.amqp,
      exchange,
      source: '/orders-service',
    })) as RabbitMqBroker;
    const conn = await amqplib.connect(services.amqp);
    try {
      const channel = await conn.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, exchange, 'order.*');
      await broker.publish([event]);
      let message: amqplib.GetMessage | undefined;
      await waitFor(
        'the message arrives',
        async () => {
          const got = await channel.get(queue, { noAck: true });
          if (got !== false) message = got;
          return message !== undefined;
        },
        5000,
      );
      const m = message!;
      expect(m.fields.routingKey).toBe('order.OrderPlaced');
      const attributes: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(m.properties.headers ?? {})) {
        if (key.startsWith('cloudEvents_')) attributes[key.slice('cloudEvents_'.length)] = String(value);
      }
      const ce = new CloudEvent({
        ...attributes,
        datacontenttype: m.properties.contentType,
        data: JSON.parse(m.content.toString('utf8')),
      } as never);
      ce.validate();
      expectFactumFields(ce);
    } finally {
      await conn.close();
      await broker.deleteExchanges();
      await broker.close();
    }
  });

  it.skipIf(!available.nats)('NATS: ce-* headers, read with the SDK binary-mode parser', async () => {
    const prefix = uniqueName('ce');
    const broker = (await createNatsBroker({
      servers: services.nats,
      prefix,
      source: '/orders-service',
    })) as NatsBroker;
    try {
      const { connect } = await import('@nats-io/transport-node');
      const nc = await connect({ servers: services.nats });
      const sub = nc.subscribe(`${prefix}.order.*`, { max: 1 });
      await nc.flush();
      await broker.publish([event]);
      for await (const m of sub) {
        expect(m.subject).toBe(`${prefix}.order.OrderPlaced`);
        const headers: Record<string, string> = {};
        for (const [key, values] of m.headers!) headers[key.toLowerCase()] = values[0]!;
        const ce = HTTP.toEvent({ headers, body: m.string() }) as CloudEvent<unknown>;
        expectFactumFields(ce);
      }
      await nc.close();
    } finally {
      await broker.deleteStreams();
      await broker.close();
    }
  });
});
