import type { StoredMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { GetMessage } from 'amqplib';
import { newEventId, type StoredEvent } from 'factum';
import { headerRecord, KafkaDeadLetterHeaders, toKafkaRecord } from 'factum/kafka';
import { NatsDeadLetterHeaders, toNatsHeaders } from 'factum/nats';
import { DeadLetterHeaders as AmqpDeadLetterHeaders, toAmqpMessage } from 'factum/rabbitmq';
import { describe, expect, it } from 'vitest';
import { toDeadLetterRecord, toKafkaDeadLetter } from '../../src/brokers/kafka/dead-letters.js';
import { toNatsDeadLetter } from '../../src/brokers/nats/dead-letters.js';
import { toDeadLetter } from '../../src/brokers/rabbitmq/dead-letters.js';
import { DEAD_LETTER_REASONS, isDeadLetterReason } from '../../src/messaging/broker.js';

const event: StoredEvent = {
  id: newEventId(),
  type: 'OrderPlaced',
  streamId: 'order-7',
  category: 'order',
  version: 3,
  position: 41n,
  schemaVersion: 1,
  timestamp: new Date('2026-02-03T04:05:06.789Z'),
  data: { total: 12 },
  metadata: { correlationId: 'c-1' },
};
const storedAt = new Date('2026-02-03T05:00:00.000Z');
const deadLetteredAt = '2026-02-03T04:30:00.000Z';

/** One broker's dead-letter message, built from headers as text and a body. */
interface Adapter {
  name: string;
  names: { reason: string; error: string; attempts: string; group: string; at: string };
  /** The CloudEvents headers of `event` in this broker's binding, and its body. */
  envelope(): { headers: Record<string, string>; body: Buffer };
  read(group: string, headers: Record<string, string>, body: Buffer): ReturnType<typeof toKafkaDeadLetter>;
}

const kafka: Adapter = {
  name: 'Kafka',
  names: KafkaDeadLetterHeaders,
  envelope: () => {
    const record = toKafkaRecord(event, '/orders');
    return { headers: headerRecord(record.headers), body: record.value };
  },
  read: (group, headers, body) =>
    toKafkaDeadLetter(group, {
      partition: 0,
      offset: 5n,
      key: null,
      value: body,
      headers,
      timestamp: storedAt,
    }),
};

const nats: Adapter = {
  name: 'NATS',
  names: NatsDeadLetterHeaders,
  envelope: () => {
    const { headers, body } = toNatsHeaders(event, '/orders');
    return { headers: Object.fromEntries(headers), body };
  },
  read: (group, headers, body) => {
    const header = natsHeaders();
    for (const [k, v] of Object.entries(headers)) header.set(k, v);
    const stored = { subject: 'factum_dlq.billing', seq: 1, header, data: body, time: storedAt };
    return toNatsDeadLetter(group, stored as unknown as StoredMsg);
  },
};

function amqpMessage(headers: Record<string, unknown>, body: Buffer, contentType?: string): GetMessage {
  return {
    content: body,
    fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'billing', messageCount: 0 },
    properties: { headers, contentType },
  } as unknown as GetMessage;
}

const rabbitmq: Adapter = {
  name: 'RabbitMQ',
  names: AmqpDeadLetterHeaders,
  envelope: () => {
    const out = toAmqpMessage(event, '/orders');
    return { headers: out.properties.headers as Record<string, string>, body: out.content };
  },
  read: (group, headers, body) => toDeadLetter(group, amqpMessage(headers, body, 'application/json')),
};

describe.each([kafka, nats, rabbitmq])('$name dead letters as read back', (adapter) => {
  it('give the event, the reason, the error, the attempts and the time from the headers', () => {
    const { headers, body } = adapter.envelope();
    const all = {
      ...headers,
      [adapter.names.reason]: 'handler-failed',
      [adapter.names.error]: 'card declined',
      [adapter.names.attempts]: '4',
      [adapter.names.group]: 'billing',
      [adapter.names.at]: deadLetteredAt,
    };
    const letter = adapter.read('billing', all, body);
    expect(letter).toEqual({
      group: 'billing',
      reason: 'handler-failed',
      error: 'card declined',
      attempts: 4,
      deadLetteredAt: new Date(deadLetteredAt),
      event,
      headers: expect.objectContaining({ [adapter.names.error]: 'card declined' }),
      body: '{"total":12}',
    });
  });

  it('count a missing or unknown reason as delivery-limit', () => {
    const { headers, body } = adapter.envelope();
    expect(adapter.read('billing', headers, body).reason).toBe('delivery-limit');
    expect(adapter.read('billing', { ...headers, [adapter.names.reason]: 'bogus' }, body).reason).toBe(
      'delivery-limit',
    );
  });

  it('keep the headers and body of a message that is not a Factum envelope, without an event', () => {
    const letter = adapter.read(
      'billing',
      { [adapter.names.reason]: 'invalid-message' },
      Buffer.from('not json'),
    );
    expect(letter.event).toBeUndefined();
    expect('event' in letter).toBe(false);
    expect(letter).toMatchObject({
      reason: 'invalid-message',
      attempts: 0,
      headers: { [adapter.names.reason]: 'invalid-message' },
      body: 'not json',
    });
  });
});

describe('dead letters without Factum headers', () => {
  it('Kafka and NATS: the error is unknown, no attempts, the time is when the broker stored it', () => {
    for (const adapter of [kafka, nats]) {
      const letter = adapter.read('billing', {}, Buffer.from('x'));
      expect(letter).toMatchObject({ error: 'unknown', attempts: 0, deadLetteredAt: storedAt });
    }
  });

  it('RabbitMQ: its own dead-lettering (x-death, x-delivery-count) explains the error and attempts', () => {
    const before = Date.now();
    const letter = toDeadLetter(
      'billing',
      amqpMessage(
        { 'x-death': [{ reason: 'delivery_limit', count: 1 }], 'x-delivery-count': 6 },
        Buffer.from('x'),
      ),
    );
    expect(letter).toMatchObject({
      reason: 'delivery-limit',
      error: 'dead-lettered by RabbitMQ: [{"reason":"delivery_limit","count":1}]',
      attempts: 6,
    });
    expect(letter.deadLetteredAt.getTime()).toBeGreaterThanOrEqual(before);
    const bare = toDeadLetter('billing', amqpMessage({}, Buffer.from('x')));
    expect(bare).toMatchObject({ error: 'dead-lettered by RabbitMQ: unknown reason', attempts: 0 });
  });
});

describe('a Kafka dead-letter record', () => {
  it('reads back as the outcome that made it, the error on one line and cut at 8,000 characters', () => {
    const original = toKafkaRecord(event, '/orders');
    const error = `line one\r\nline two\n${'x'.repeat(9000)}`;
    const before = Date.now();
    const out = toDeadLetterRecord(
      'factum.events',
      'billing',
      { ...original, partition: 2, offset: 17n },
      { kind: 'dead-letter', reason: 'handler-failed', error, attempts: 3, event },
    );
    const headers = headerRecord(out.headers);
    expect(headers).toMatchObject({
      [KafkaDeadLetterHeaders.topic]: 'factum.events',
      [KafkaDeadLetterHeaders.partition]: '2',
      [KafkaDeadLetterHeaders.offset]: '17',
    });
    const letter = toKafkaDeadLetter('billing', {
      partition: 0,
      offset: 0n,
      key: out.key ?? null,
      value: out.value ?? null,
      headers,
      timestamp: storedAt,
    });
    expect(letter.reason).toBe('handler-failed');
    expect(letter.attempts).toBe(3);
    expect(letter.event).toEqual(event);
    expect(letter.error).toBe(`line one line two ${'x'.repeat(9000)}`.slice(0, 8000));
    expect(letter.deadLetteredAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(letter.deadLetteredAt.getTime()).toBeLessThanOrEqual(Date.now());
  });
});

describe('the dead-letter reasons', () => {
  it('are one list, each read back as itself by every adapter', () => {
    expect(DEAD_LETTER_REASONS).toEqual(['handler-failed', 'invalid-message', 'delivery-limit']);
    for (const reason of DEAD_LETTER_REASONS) {
      expect(isDeadLetterReason(reason)).toBe(true);
      for (const adapter of [kafka, nats, rabbitmq]) {
        const { headers, body } = adapter.envelope();
        expect(adapter.read('g', { ...headers, [adapter.names.reason]: reason }, body).reason).toBe(reason);
      }
    }
    expect(isDeadLetterReason('Handler-Failed')).toBe(false);
    expect(isDeadLetterReason(undefined)).toBe(false);
  });
});
