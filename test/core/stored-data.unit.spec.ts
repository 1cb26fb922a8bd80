import type { StoredEvent } from 'factum';
import { fromNatsMessage, toNatsHeaders } from 'factum/nats';
import { fromAmqpMessage, toAmqpMessage } from 'factum/rabbitmq';
import { describe, expect, it } from 'vitest';
import { fromKafkaRecord, headerRecord, toKafkaRecord } from '../../src/brokers/kafka/wire.js';
import { encodeEvent } from '../../src/brokers/shared/cloudevents.js';
import { fromSqsMessage, toSqsMessage } from '../../src/brokers/sqs/wire.js';
import { eventWithStoredData, storedDataJson } from '../../src/core/stored-data.js';
import { decode, encode } from '../../src/messaging/sqlite-broker/wire.js';

/** An event built with its data as text, the way the stores' raw reads build them. */
function lazy(json: string, schemaVersion = 1): StoredEvent {
  return eventWithStoredData(
    '0190a0a0-0000-7000-8000-000000000001',
    'OrderPlaced',
    'order-1',
    'order',
    1,
    1n,
    schemaVersion,
    new Date('2026-01-02T03:04:05.678Z'),
    json,
    { correlationId: 'c-1', tenant: 'acme' },
  );
}

describe('an event with its stored data JSON', () => {
  it('cannot have their data replaced or changed in place', () => {
    const event = lazy('{"a":{"b":[1]}}');
    expect(() => {
      (event as { data: unknown }).data = { a: 2 };
    }).toThrow(TypeError);
    const data = event.data as { a: { b: number[] } };
    expect(() => {
      data.a.b.push(2);
    }).toThrow(TypeError);
    expect(() => {
      (data as { a: unknown }).a = 1;
    }).toThrow(TypeError);
    expect(event.data).toEqual({ a: { b: [1] } });
    expect(storedDataJson(event)).toBe('{"a":{"b":[1]}}');
  });

  it('gives its text only where reading data gives the data parsed from it', () => {
    const event = lazy('{"a": 1}');
    expect(storedDataJson(event)).toBe('{"a": 1}');
    expect(storedDataJson({ ...event })).toBeUndefined();
    expect(storedDataJson({ ...event, data: { a: 2 } })).toBeUndefined();
    // An object that reads another event's data is not that event.
    const wrapper = {
      ...event,
      get data() {
        return event.data;
      },
    };
    expect(storedDataJson(wrapper)).toBeUndefined();
    expect(wrapper.data).toEqual({ a: 1 });
    // One whose data is the event's own getter, called on it, reads the same data.
    expect(storedDataJson(Object.create(event) as StoredEvent)).toBe('{"a": 1}');
    expect(storedDataJson(new Proxy(event, {}))).toBe('{"a": 1}');
    expect(
      storedDataJson(new Proxy(event, { get: (t, k) => (k === 'data' ? { b: 1 } : Reflect.get(t, k)) })),
    ).toBeUndefined();
    // Asking never parses, nor changes what data reads.
    expect(event.data).toEqual({ a: 1 });
    expect(storedDataJson(event)).toBe('{"a": 1}');
  });

  it('are encoded with the stored text; a copy with other data encodes that data', () => {
    const stored = '{"a": 1,  "b" : [1.0, 2e3]}';
    const event = lazy(stored);
    expect(encodeEvent(event, '/test').body.toString('utf8')).toBe(stored);
    expect(toAmqpMessage(event, '/test').content.toString('utf8')).toBe(stored);
    // A spread is another object: its data is encoded as it is, never the original's text.
    const replaced = { ...event, data: { a: 2 } };
    expect(encodeEvent(replaced, '/test').body.toString('utf8')).toBe('{"a":2}');
    expect(encodeEvent({ ...event }, '/test').body.toString('utf8')).toBe('{"a":1,"b":[1,2000]}');
    // The metadata is parsed and goes to the headers as before.
    expect(encodeEvent(event, '/test').attributes).toMatchObject({
      correlationid: 'c-1',
      metadata: '{"tenant":"acme"}',
    });
  });

  it('parses its data once, on first access, and a spread copies the parsed data', () => {
    const event = lazy('{"n": [1, {"m": "x"}]}');
    expect(Object.getOwnPropertyDescriptor(event, 'data')).toHaveProperty('get');
    expect(Object.keys(event)).toContain('data');
    const data = event.data;
    expect(data).toEqual({ n: [1, { m: 'x' }] });
    expect(event.data).toBe(data);
    const copy = { ...event };
    expect(Object.getOwnPropertyDescriptor(copy, 'data')).toEqual(
      expect.objectContaining({ value: data, writable: true }),
    );
    expect(storedDataJson(copy)).toBeUndefined();
  });

  it('every binding sends the stored text and decodes it back to the same data', () => {
    const stored = '{ "b" : [1.0, 2e3, "\\u00e9"], "a": {"x": true} }';
    const event = lazy(stored);
    const data = JSON.parse(stored);
    const kafka = toKafkaRecord(event, '/t');
    expect(kafka.value.toString('utf8')).toBe(stored);
    const kafkaHeaders = headerRecord(kafka.headers);
    expect(fromKafkaRecord(kafkaHeaders, kafka.value).data).toEqual(data);
    const amqp = toAmqpMessage(event, '/t');
    expect(amqp.content.toString('utf8')).toBe(stored);
    expect(fromAmqpMessage({ content: amqp.content, properties: amqp.properties as never }).data).toEqual(
      data,
    );
    const nats = toNatsHeaders(event, '/t');
    expect(nats.body.toString('utf8')).toBe(stored);
    const natsHeaders = new Map(nats.headers.map(([k, v]) => [k, [v]]));
    expect(fromNatsMessage(natsHeaders as never, nats.body).data).toEqual(data);
    const sqs = toSqsMessage(event, '/t', 262_144);
    expect(sqs.body).toBe(stored);
    const attributes = Object.fromEntries(
      Object.entries(sqs.attributes).map(([name, value]) => [name, value.StringValue]),
    );
    expect(fromSqsMessage(sqs.body, attributes).data).toEqual(data);
    // The SQLite transport keeps the whole envelope as one JSON text, the stored data inside it.
    const kept = encode(event);
    expect(kept.body).toContain(`"data":${stored}}`);
    const back = decode(kept.body);
    expect(back.data).toEqual(data);
    expect(back).toEqual({ ...event, data });
    const copy = encode({ ...event, data: { other: 1 } });
    expect(decode(copy.body).data).toEqual({ other: 1 });
  });
});
