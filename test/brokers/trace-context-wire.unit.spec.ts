import { newEventId, type StoredEvent } from 'factum';
import { fromKafkaRecord, headerRecord, toKafkaRecord } from 'factum/kafka';
import { fromNatsMessage, toNatsHeaders } from 'factum/nats';
import { fromAmqpMessage, toAmqpMessage } from 'factum/rabbitmq';
import { fromSqsMessage, toSqsMessage } from 'factum/sqs';
import { describe, expect, it } from 'vitest';
import { attributesOf } from '../../src/brokers/sqs/wire.js';
import { decode, encode } from '../../src/messaging/sqlite-broker/wire.js';

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const tracestate = 'vendor=opaque,other=1';
const event: StoredEvent = {
  id: newEventId(),
  type: 'OrderPlaced',
  streamId: 'order-42',
  category: 'order',
  version: 1,
  position: 7n,
  schemaVersion: 1,
  timestamp: new Date('2026-03-14T10:00:00.000Z'),
  data: {},
  metadata: { correlationId: 'c-1', traceparent, tracestate },
};

function natsHeaders(pairs: [string, string][]) {
  const map = new Map(pairs.map(([k, v]) => [k, [v]]));
  return { [Symbol.iterator]: () => map.entries(), get: (k: string) => map.get(k)?.[0] ?? '' } as never;
}

describe('the creation context on the wire: the CloudEvents traceparent and tracestate extensions', () => {
  it('AMQP: application properties (headers)', () => {
    const out = toAmqpMessage(event, '/svc');
    expect(out.properties.headers).toMatchObject({
      cloudEvents_traceparent: traceparent,
      cloudEvents_tracestate: tracestate,
    });
    expect(fromAmqpMessage({ content: out.content, properties: out.properties as never }).metadata).toEqual(
      event.metadata,
    );
  });

  it('NATS: headers', () => {
    const { headers, body } = toNatsHeaders(event, '/svc');
    expect(headers).toContainEqual(['ce-traceparent', traceparent]);
    expect(headers).toContainEqual(['ce-tracestate', 'vendor=opaque,other=1']);
    expect(fromNatsMessage(natsHeaders(headers), body).metadata).toEqual(event.metadata);
  });

  it('Kafka: headers', () => {
    const record = toKafkaRecord(event, '/svc');
    const headers = headerRecord(record.headers);
    expect(headers).toMatchObject({ ce_traceparent: traceparent, ce_tracestate: tracestate });
    expect(fromKafkaRecord(headers, record.value).metadata).toEqual(event.metadata);
  });

  it('SQS: message attributes', () => {
    const out = toSqsMessage(event, '/svc', 262_144);
    expect(JSON.stringify(out.attributes)).toContain(traceparent);
    expect(fromSqsMessage(out.body, attributesOf(out.attributes)).metadata).toEqual(event.metadata);
  });

  it('the SQLite transport: headers beside the envelope', () => {
    const wire = encode(event);
    expect(wire.headers).toMatchObject({ traceparent, tracestate });
    expect(decode(wire.body).metadata).toEqual(event.metadata);
  });
});
