import { ErrorCodes, isFactumError, newEventId, type StoredEvent } from 'factum';
import { fromNatsMessage, toNatsHeaders } from 'factum/nats';
import { fromAmqpMessage, toAmqpMessage } from 'factum/rabbitmq';
import { describe, expect, it } from 'vitest';

const event: StoredEvent = {
  id: newEventId(),
  type: 'Order.Placed*',
  streamId: 'order-42 ünïcode "x"',
  category: 'order',
  version: 12,
  position: 2n ** 63n - 1n,
  schemaVersion: 2,
  timestamp: new Date('2026-01-02T03:04:05.678Z'),
  data: { a: 1, nested: { list: [1, 'two', null] } },
  metadata: { correlationId: 'c', causationId: 'k', userId: 'u', traceparent: 't', tenant: 'acme', n: 3 },
};

function natsHeaders(pairs: [string, string][]) {
  const map = new Map(pairs.map(([k, v]) => [k, [v]]));
  return {
    [Symbol.iterator]: () => map.entries(),
    get: (k: string) => map.get(k)?.[0] ?? '',
  } as never;
}

describe('CloudEvents envelope codec', () => {
  it('round-trips the whole envelope through AMQP properties, bigint position included', () => {
    const out = toAmqpMessage(event, '/svc');
    expect(out.routingKey).toBe('order.Order~2ePlaced~2a');
    expect(out.properties.headers).toMatchObject({
      cloudEvents_specversion: '1.0',
      cloudEvents_id: event.id,
      cloudEvents_subject: event.streamId,
      cloudEvents_position: '9223372036854775807',
    });
    expect(fromAmqpMessage({ content: out.content, properties: out.properties as never })).toEqual(event);
  });

  it('round-trips through NATS headers, percent-encoding values', () => {
    const { headers, body } = toNatsHeaders(event, '/svc');
    expect(headers).toContainEqual(['ce-subject', 'order-42%20%C3%BCn%C3%AFcode%20%22x%22']);
    expect(headers).toContainEqual(['ce-source', '/svc']);
    expect(fromNatsMessage(natsHeaders(headers), body)).toEqual(event);
    const percent = { ...event, streamId: '100%-done' };
    const encoded = toNatsHeaders(percent, '/svc');
    expect(encoded.headers).toContainEqual(['ce-subject', '100%25-done']);
    expect(fromNatsMessage(natsHeaders(encoded.headers), encoded.body)).toEqual(percent);
  });

  it.each([
    ['no CloudEvents attributes', {}, '{}'],
    ['a bad id', { 'ce-specversion': '1.0', 'ce-id': 'nope' }, '{}'],
    [
      'a body that is not JSON',
      {
        'ce-specversion': '1.0',
        'ce-id': newEventId(),
        'ce-type': 'T',
        'ce-subject': 's-1',
        'ce-streamversion': '1',
        'ce-position': '1',
        'ce-time': '2026-01-01T00:00:00Z',
      },
      'not json',
    ],
  ])('rejects a message with %s as FACTUM_INVALID_MESSAGE', (_what, headers, body) => {
    let error: unknown;
    try {
      fromNatsMessage(natsHeaders(Object.entries(headers)), new TextEncoder().encode(body));
    } catch (e) {
      error = e;
    }
    expect(isFactumError(error, ErrorCodes.INVALID_MESSAGE)).toBe(true);
  });
});
