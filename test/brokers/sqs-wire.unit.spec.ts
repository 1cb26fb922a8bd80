import type { Message } from '@aws-sdk/client-sqs';
import { ErrorCodes, isFactumError, newEventId, type StoredEvent } from 'factum';
import { fromSqsMessage, messageGroupId, snsTopicName, toSqsMessage } from 'factum/sqs';
import { describe, expect, it } from 'vitest';
import { deadLetterAttributes, toDeadLetter } from '../../src/brokers/sqs/dead-letters.js';
import { type BatchEntry, type FailedEntry, publishEntries } from '../../src/brokers/sqs/publish.js';
import { attributesOf } from '../../src/brokers/sqs/wire.js';

const event: StoredEvent = {
  id: newEventId(),
  type: 'OrderPlaced',
  streamId: 'order-42',
  category: 'order',
  version: 7,
  position: 2n ** 62n + 5n,
  schemaVersion: 3,
  timestamp: new Date('2026-03-14T10:00:00.123Z'),
  data: { total: 4999, text: 'naïve ☕' },
  metadata: {
    correlationId: 'corr-1',
    causationId: 'cause-1',
    userId: 'alice',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    tracestate: 'vendor=1',
    tenant: 'acme',
  },
};

const received = (body: string, attributes: Record<string, { DataType: string; StringValue: string }>) =>
  fromSqsMessage(body, attributesOf(attributes));

describe('SQS wire format', () => {
  it('round-trips the envelope in at most 8 of the 10 message attributes, with every metadata key', () => {
    const out = toSqsMessage(event, '/factum', 262_144);
    expect(Object.keys(out.attributes).sort()).toEqual([
      'ce-extensions',
      'ce-id',
      'ce-source',
      'ce-specversion',
      'ce-subject',
      'ce-time',
      'ce-type',
      'content-type',
    ]);
    expect(received(out.body, out.attributes)).toEqual(event);
  });

  it('says what is missing in a message that is not a Factum envelope', () => {
    expect(() => received('{}', {})).toThrow(/CloudEvents attributes/);
    const out = toSqsMessage(event, '/factum', 262_144);
    const { 'ce-extensions': _, ...rest } = out.attributes;
    expect(() => received(out.body, rest)).toThrow(/streamversion is missing/);
  });

  it('refuses an event over the size limit, counting attribute names, types and values', () => {
    const out = toSqsMessage(event, '/factum', 262_144);
    const overhead = Object.entries(out.attributes).reduce(
      (n, [k, v]) => n + k.length + v.DataType.length + Buffer.byteLength(v.StringValue),
      0,
    );
    const fits = { ...event, data: { b: 'x'.repeat(262_144 - overhead - 8) } };
    expect(() => toSqsMessage(fits, '/factum', 262_144)).not.toThrow();
    const over = { ...event, data: { b: 'x'.repeat(262_144 - overhead - 7) } };
    const error = (() => {
      try {
        toSqsMessage(over, '/factum', 262_144);
      } catch (e) {
        return e;
      }
    })();
    expect(isFactumError(error, ErrorCodes.INVALID_EVENT)).toBe(true);
    expect((error as Error).message).toMatch(/262145 bytes.*at most 262144/);
  });

  it('refuses a character SQS cannot carry, in the data or in an attribute', () => {
    for (const bad of [
      { ...event, data: { t: '\uFFFE' } },
      { ...event, metadata: { ...event.metadata, userId: 'x\uFFFF' } },
    ]) {
      expect(() => toSqsMessage(bad, '/factum', 262_144)).toThrow(/character SQS cannot carry/);
    }
  });

  it('uses the stream id as MessageGroupId when SQS accepts it, a hash otherwise', () => {
    expect(messageGroupId('order-42')).toBe('order-42');
    const odd = messageGroupId('commande n° 42');
    expect(odd).toMatch(/^h-[0-9a-f]{64}$/);
    expect(messageGroupId('commande n° 42')).toBe(odd);
    expect(messageGroupId('x'.repeat(129))).toMatch(/^h-/);
  });

  it('names a topic per category, hashing a category a topic name cannot hold', () => {
    expect(snsTopicName({ prefix: 'shop', fifo: true }, 'order')).toBe('shop-order.fifo');
    expect(snsTopicName({ prefix: 'shop', fifo: false }, 'order')).toBe('shop-order');
    expect(snsTopicName({ prefix: 'shop', fifo: true }, 'ordre été')).toMatch(/^shop-_[0-9a-f]{16}\.fifo$/);
  });
});

describe('SQS dead letters', () => {
  it("stamps the reason as one attribute beside the message's own, and reads it back", () => {
    const out = toSqsMessage(event, '/factum', 262_144);
    const message: Message = {
      MessageId: 'm-1',
      Body: out.body,
      MessageAttributes: out.attributes,
      Attributes: { SentTimestamp: '1700000000000', ApproximateReceiveCount: '1' },
    };
    const attributes = deadLetterAttributes(
      message,
      'billing',
      { kind: 'dead-letter', reason: 'handler-failed', error: 'boom\nline two', attempts: 5, event },
      262_144,
    );
    expect(Object.keys(attributes).length).toBe(9);
    const letter = toDeadLetter('billing', { ...message, MessageAttributes: attributes });
    expect(letter).toMatchObject({
      group: 'billing',
      reason: 'handler-failed',
      error: 'boom line two',
      attempts: 5,
    });
    expect(letter.event).toEqual(event);
  });

  it('reads a message the redrive policy moved as a delivery-limit dead letter', () => {
    const out = toSqsMessage(event, '/factum', 262_144);
    const letter = toDeadLetter('billing', {
      MessageId: 'm-2',
      Body: out.body,
      MessageAttributes: out.attributes,
      Attributes: { SentTimestamp: '1700000000000', ApproximateReceiveCount: '6' },
    });
    expect(letter.reason).toBe('delivery-limit');
    expect(letter.attempts).toBe(5);
    expect(letter.deadLetteredAt).toEqual(new Date(1_700_000_000_000));
  });
});

describe('SQS batches', () => {
  const entries = (n: number, lane = (i: number) => `order-${i % 3}`): BatchEntry[] =>
    Array.from({ length: n }, (_, i) => ({
      lane: lane(i),
      body: String(i),
      attributes: {},
      event: { id: `event-${i}` },
    }));

  it('sends batches of at most 10, in order per lane', async () => {
    const sent: string[][] = [];
    await publishEntries('q', entries(45), { lanes: 2, retries: 0 }, async (batch) => {
      sent.push(batch.map((e) => e.body));
      return [];
    });
    expect(sent.every((b) => b.length <= 10)).toBe(true);
    expect(sent.flat().sort()).toEqual(Array.from({ length: 45 }, (_, i) => String(i)).sort());
    for (const lane of ['order-0', 'order-1', 'order-2']) {
      const bodies = sent.flat().filter((b) => `order-${Number(b) % 3}` === lane);
      expect(bodies.map(Number)).toEqual([...bodies.map(Number)].sort((a, b) => a - b));
    }
  });

  it('sends only the failed entries of a partly failed batch again', async () => {
    const calls: string[][] = [];
    await publishEntries('q', entries(10), { lanes: 1, retries: 3 }, async (batch) => {
      calls.push(batch.map((e) => e.body));
      if (calls.length === 1) {
        return [
          { Id: 'e3', SenderFault: false, Code: 'InternalError' },
          { Id: 'e7', SenderFault: false, Code: 'ServiceUnavailable' },
        ] satisfies FailedEntry[];
      }
      return [];
    });
    expect(calls).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['3', '7'],
    ]);
  });

  it("fails at once on an entry refused as the sender's fault, and after the retries otherwise", async () => {
    const refused = await publishEntries('q', entries(3), { lanes: 1, retries: 5 }, async () => [
      { Id: 'e1', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' },
    ]).catch((e: unknown) => e);
    expect(isFactumError(refused, ErrorCodes.PUBLISH_NOT_CONFIRMED)).toBe(true);
    expect((refused as Error).message).toContain('event-1');
    let calls = 0;
    const exhausted = await publishEntries('q', entries(2), { lanes: 1, retries: 2 }, async () => {
      calls++;
      return [{ Id: 'e0', SenderFault: false, Code: 'InternalError' }];
    }).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect((exhausted as Error).message).toContain('after 3 attempts');
  });
});
