import type { StoredEvent } from 'factum';
import type { Broker } from 'factum/messaging';
import { describe, expect, it } from 'vitest';
import { sendSpan } from '../../src/messaging/tracing.js';

const event = (n: number, type: string, traceparent?: string): StoredEvent => ({
  id: `e-${n}`,
  type,
  streamId: 'order-1',
  category: 'order',
  version: n,
  position: BigInt(n),
  schemaVersion: 1,
  timestamp: new Date(0),
  data: {},
  metadata: { correlationId: 'c-1', ...(traceparent === undefined ? {} : { traceparent }) },
});

// Only what sendSpan reads of a broker.
const rabbit = {
  name: 'rabbitmq',
  destinationOf: () => 'factum',
  routingKeyOf: (e: StoredEvent) => `${e.category}.${e.type}`,
} as unknown as Broker;
const nats = {
  name: 'nats',
  destinationOf: (e: StoredEvent) => `factum.${e.category}.${e.type}`,
} as unknown as Broker;

const A = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const B = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01';

describe('the send span of a publish', () => {
  it('names the routing key of a RabbitMQ message, and of a batch whose messages share it', () => {
    expect(sendSpan(rabbit, [event(1, 'OrderPlaced')]).attributes).toMatchObject({
      'messaging.rabbitmq.destination.routing_key': 'order.OrderPlaced',
      'messaging.message.id': 'e-1',
    });
    const same = sendSpan(rabbit, [event(1, 'OrderPlaced'), event(2, 'OrderPlaced')]);
    expect(same.attributes['messaging.rabbitmq.destination.routing_key']).toBe('order.OrderPlaced');
    const mixed = sendSpan(rabbit, [event(1, 'OrderPlaced'), event(2, 'OrderShipped')]);
    expect(mixed.attributes).not.toHaveProperty('messaging.rabbitmq.destination.routing_key');
    expect(mixed.attributes).toMatchObject({ 'messaging.destination.name': 'factum' });
  });

  it('names a destination only when every message goes there, and no routing key without one', () => {
    const one = sendSpan(nats, [event(1, 'OrderPlaced')]);
    expect(one.name).toBe('send factum.order.OrderPlaced');
    expect(one.attributes).not.toHaveProperty('messaging.rabbitmq.destination.routing_key');
    const two = sendSpan(nats, [event(1, 'OrderPlaced'), event(2, 'OrderShipped')]);
    expect(two.name).toBe('send');
    expect(two.attributes).toMatchObject({ 'messaging.batch.message_count': 2 });
  });

  it('is a child of the creation context its messages share, and only linked when they differ', () => {
    const shared = sendSpan(rabbit, [event(1, 'OrderPlaced', A), event(2, 'OrderPlaced', A)]);
    expect(shared.parent).toEqual({ traceparent: A });
    expect(shared.links).toEqual([{ traceparent: A }]);
    const differ = sendSpan(rabbit, [event(1, 'OrderPlaced', A), event(2, 'OrderPlaced', B)]);
    expect(differ.parent).toBeUndefined();
    expect(differ.links).toEqual([{ traceparent: A }, { traceparent: B }]);
    const partly = sendSpan(rabbit, [event(1, 'OrderPlaced', A), event(2, 'OrderPlaced')]);
    expect(partly.parent).toBeUndefined();
  });
});
