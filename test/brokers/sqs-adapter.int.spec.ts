import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { type CloudEvent, HTTP } from 'cloudevents';
import { ErrorCodes, isFactumError, newEventId, type StoredEvent } from 'factum';
import { cloudEventAttributes, type SqsBroker } from 'factum/sqs';
import { interleaved, waitFor } from 'factum/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { range, sleep } from '../support/helpers.js';
import {
  destroySqsNamespace,
  openSqsBroker,
  probeSqs,
  type SqsServer,
  sqsClient,
  uniquePrefix,
} from '../support/sqs.js';

const elasticmq = await probeSqs('elasticmq');
const fauxqs = await probeSqs('fauxqs');

function setup(server: SqsServer) {
  const opened: SqsBroker[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close().catch(() => {})));
  });
  afterAll(async () => {
    for (const p of prefixes) await destroySqsNamespace(server, p).catch(() => {});
  });
  return async (options: Parameters<typeof openSqsBroker>[2] = {}, prefix = uniquePrefix('fs')) => {
    if (!prefixes.includes(prefix)) prefixes.push(prefix);
    const broker = await openSqsBroker(server, prefix, options);
    opened.push(broker);
    return broker;
  };
}

const until = (what: string, check: () => boolean | Promise<boolean>) => waitFor(what, check, 15_000);

describe.skipIf(!elasticmq.available)('SQS adapter on ElasticMQ', () => {
  const open = setup('elasticmq');

  it('delivers an event re-sent within the deduplication window once', async () => {
    const broker = await open();
    await broker.declareGroup({ group: 'g' });
    const events = interleaved(['order-1', 'order-2'], 5);
    await broker.publish(events);
    // The relay publishes a page again after a crash before its checkpoint: the same event ids.
    await broker.publish(events.slice(2, 7));
    const got: string[] = [];
    await broker.consume({ group: 'g' }, (e) => {
      got.push(e.id);
    });
    await until('the events arrive', () => got.length >= events.length);
    await until('the group is drained', async () => (await broker.lag('g')).lag === 0);
    await sleep(200);
    expect(got.length).toBe(events.length);
    expect(new Set(got)).toEqual(new Set(events.map((e) => e.id)));
  });

  it('extends the visibility of a slow handler: another consumer never gets its message', async () => {
    const prefix = uniquePrefix('fs');
    const a = await open({ visibilityTimeoutSeconds: 1 }, prefix);
    const b = await open({ visibilityTimeoutSeconds: 1 }, prefix);
    await a.declareGroup({ group: 'g' });
    const [slow] = interleaved(['order-1'], 1) as [StoredEvent];
    const deliveries: { consumer: string; deliveryCount: number }[] = [];
    const handler = (consumer: string) => async (e: StoredEvent, ctx: { deliveryCount: number }) => {
      if (e.id !== slow.id) return;
      deliveries.push({ consumer, deliveryCount: ctx.deliveryCount });
      await sleep(3500);
    };
    await a.consume({ group: 'g' }, handler('a'));
    await a.publish([slow]);
    await until('the slow handler started', () => deliveries.length === 1);
    await b.consume({ group: 'g' }, handler('b'));
    await until('the group is drained', async () => (await a.lag('g')).lag === 0);
    await sleep(300);
    // 3.5 s of handling under a 1 s visibility timeout: only the extensions kept it hidden.
    expect(deliveries).toEqual([{ consumer: 'a', deliveryCount: 1 }]);
  });

  it("redrives a message to the dead-letter queue after maxDeliveries receives (the queue's redrive policy)", async () => {
    const broker = await open();
    await broker.declareGroup({ group: 'g', maxDeliveries: 3 });
    const [event] = interleaved(['order-1'], 1) as [StoredEvent];
    await broker.publish([event]);
    const sqs = sqsClient('elasticmq');
    try {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${broker.prefix}-g.fifo` }));
      const policy = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy'] }),
      );
      expect(JSON.parse(policy.Attributes!.RedrivePolicy!).maxReceiveCount).toBe(3);
      // A consumer that crashes each time: received, never deleted, visible again at once.
      let receives = 0;
      for (let i = 0; i < 6; i++) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0, WaitTimeSeconds: 0 }),
        );
        receives += out.Messages?.length ?? 0;
      }
      expect(receives).toBe(3);
    } finally {
      sqs.destroy();
    }
    const letters = await broker.deadLetters('g');
    expect(letters.length).toBe(1);
    expect(letters[0]!.reason).toBe('delivery-limit');
    expect(letters[0]!.event).toEqual(event);
    expect(letters[0]!.error).toContain('redrive');
  });

  it('keeps a poison message from blocking other streams and other groups', async () => {
    const broker = await open();
    const events = interleaved(['order-1', 'order-2', 'order-3'], 8);
    const poison = events.find((e) => e.streamId === 'order-1' && e.version === 2)!;
    const handled: StoredEvent[] = [];
    const audit: string[] = [];
    let deadLetteredAt = 0;
    broker.on('consumer.dead-lettered', () => {
      deadLetteredAt = handled.length;
    });
    await broker.declareGroup({ group: 'billing' });
    await broker.declareGroup({ group: 'audit' });
    await broker.consume({ group: 'billing', maxDeliveries: 3, retry: { initialDelayMs: 300 } }, (e) => {
      if (e.id === poison.id) throw new Error('cannot bill');
      handled.push(e);
    });
    await broker.consume({ group: 'audit' }, (e) => {
      audit.push(e.id);
    });
    await broker.publish(events);
    await until(
      'the other streams are handled',
      () => handled.filter((e) => e.streamId !== 'order-1').length === 16,
    );
    // The other streams went on while the poison message was still being retried (0.3 s, then 0.6 s).
    expect(deadLetteredAt).toBe(0);
    await until(
      'the rest of the poisoned stream follows its dead letter',
      () => handled.length === events.length - 1,
    );
    expect(handled.filter((e) => e.streamId === 'order-1').map((e) => e.version)).toEqual([
      1,
      ...range(3, 8),
    ]);
    await until('the other group got everything', () => audit.length === events.length);
    const letters = await broker.deadLetters('billing');
    expect(letters.map((l) => [l.reason, l.attempts, l.event?.id])).toEqual([
      ['handler-failed', 3, poison.id],
    ]);
    expect(await broker.deadLetters('audit')).toEqual([]);
  });

  it('carries the CloudEvents envelope as message attributes: the raw SDK and the cloudevents SDK read it', async () => {
    const broker = await open({ source: '/orders-service' });
    await broker.declareGroup({ group: 'raw' });
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
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    };
    await broker.publish([event]);
    const sqs = sqsClient('elasticmq');
    try {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${broker.prefix}-raw.fifo` }));
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
          WaitTimeSeconds: 1,
        }),
      );
      const m = out.Messages![0]!;
      expect(m.Attributes).toMatchObject({ MessageGroupId: 'order-42', MessageDeduplicationId: event.id });
      const attributes = m.MessageAttributes!;
      expect(Object.keys(attributes).length).toBeLessThanOrEqual(10);
      expect(attributes['ce-id']?.StringValue).toBe(event.id);
      expect(attributes['ce-type']?.StringValue).toBe('OrderPlaced');
      expect(attributes['content-type']?.StringValue).toBe('application/json');
      // The cloudevents SDK, through its HTTP binary-mode reader: ce-* headers, extensions unpacked.
      const text: Record<string, string> = {};
      for (const [k, v] of Object.entries(attributes)) text[k] = v.StringValue!;
      const headers: Record<string, string> = { 'content-type': text['content-type']! };
      for (const [k, v] of Object.entries(cloudEventAttributes(text))) headers[`ce-${k}`] = v;
      const ce = HTTP.toEvent({ headers, body: m.Body }) as CloudEvent<unknown>;
      ce.validate();
      expect(ce.id).toBe(event.id);
      expect(ce.source).toBe('/orders-service');
      expect(ce.subject).toBe('order-42');
      expect(ce.data).toEqual({ orderId: 42, total: 4999 });
      expect(ce.position).toBe('9007199254740993');
      expect(ce.streamversion).toBe('3');
      expect(ce.correlationid).toBe('c-1');
      expect(ce.traceparent).toBe(event.metadata.traceparent);
    } finally {
      sqs.destroy();
    }
  });

  it('refuses, before sending anything, an event over 256 KiB or with a character SQS cannot carry', async () => {
    const broker = await open();
    await broker.declareGroup({ group: 'g' });
    const [ok, two, three] = interleaved(['order-1'], 3) as [StoredEvent, StoredEvent, StoredEvent];
    const big: StoredEvent = { ...two, data: { blob: 'x'.repeat(262_144) } };
    const odd: StoredEvent = { ...three, data: { text: 'not carried: \uFFFF' } };
    for (const bad of [big, odd]) {
      const error = await broker.publish([ok, bad]).catch((e: unknown) => e);
      expect(isFactumError(error, ErrorCodes.INVALID_EVENT)).toBe(true);
      expect((error as Error).message).toContain(bad.id);
    }
    expect((await broker.lag('g')).lag).toBe(0);
  });

  it('on standard queues: delivers every event at least once and dead-letters a failing one', async () => {
    const broker = await open({ fifo: false });
    const events = interleaved(['order-1', 'order-2'], 5);
    const poison = events[3]!;
    const got = new Set<string>();
    await broker.declareGroup({ group: 'g' });
    await broker.consume({ group: 'g', maxDeliveries: 2, retry: { initialDelayMs: 10 } }, (e) => {
      if (e.id === poison.id) throw new Error('no');
      got.add(e.id);
    });
    await broker.publish(events);
    await until('the others arrive', () => got.size === events.length - 1);
    await until('the poison is dead-lettered', async () => (await broker.deadLetters('g')).length === 1);
    expect(broker.capabilities.orderedCompetingConsumers).toBe(false);
  });

  it('needs a region or clients: no default taken from the environment', async () => {
    const { createSqsBroker } = await import('factum/sqs');
    const error = await createSqsBroker({ endpoint: 'http://127.0.0.1:9324' }).catch((e: unknown) => e);
    expect(isFactumError(error, ErrorCodes.INVALID_ARGUMENT)).toBe(true);
    expect((error as Error).message).toContain('region');
  });
});

describe.skipIf(!fauxqs.available)('SNS fan-out on fauxqs', () => {
  const open = setup('fauxqs');

  it('fans out through a topic per category to groups filtered by category and by type', async () => {
    const broker = await open();
    const seen = new Map<string, string[]>();
    const record = (group: string) => (e: StoredEvent) => {
      seen.set(group, [...(seen.get(group) ?? []), `${e.streamId}:${e.type}`]);
    };
    await broker.consume({ group: 'everything' }, record('everything'));
    await broker.consume({ group: 'orders', categories: ['order'] }, record('orders'));
    await broker.consume({ group: 'placed', types: ['OrderPlaced', 'PaymentTaken'] }, record('placed'));
    await broker.consume(
      { group: 'payments', categories: ['payment'], types: ['PaymentTaken'] },
      record('payments'),
    );
    const orders = interleaved(['order-1', 'order-2'], 3);
    const payments = interleaved(['payment-1'], 2).map((e, i) => ({
      ...e,
      type: i === 0 ? 'PaymentTaken' : 'PaymentRefunded',
    }));
    await broker.publish([...orders, ...payments]);
    await until('everything arrives', () => seen.get('everything')?.length === 8);
    await until(
      'each filtered group has its share',
      () =>
        seen.get('orders')?.length === 6 &&
        seen.get('placed')?.length === 3 &&
        seen.get('payments')?.length === 1,
    );
    await sleep(300);
    expect(seen.get('orders')!.every((s) => s.startsWith('order-'))).toBe(true);
    expect(seen.get('placed')!.sort()).toEqual([
      'order-1:OrderPlaced',
      'order-2:OrderPlaced',
      'payment-1:PaymentTaken',
    ]);
    expect(seen.get('payments')).toEqual(['payment-1:PaymentTaken']);
  });

  it('fans out through standard topics to standard queues (fifo: false)', async () => {
    const broker = await open({ fifo: false });
    const a = new Set<string>();
    const b = new Set<string>();
    await broker.consume({ group: 'a' }, (e) => {
      a.add(e.id);
    });
    await broker.consume({ group: 'b', types: ['OrderPlaced'] }, (e) => {
      b.add(e.id);
    });
    const events = interleaved(['order-1', 'order-2'], 4);
    await broker.publish(events);
    await until('both groups have their events', () => a.size === 8 && b.size === 2);
  });

  it('subscribes a group declared without categories to the topics created after it', async () => {
    const prefix = uniquePrefix('fs');
    const consumerSide = await open({}, prefix);
    const got: string[] = [];
    await consumerSide.consume({ group: 'all' }, (e) => {
      got.push(e.category);
    });
    // Another process publishes a category no topic existed for yet.
    const publisher = await open({}, prefix);
    await publisher.publish(interleaved(['shipment-1'], 2));
    await publisher.publish(interleaved(['invoice-1'], 2));
    await until('both categories arrive', () => got.length === 4);
    expect(got.sort()).toEqual(['invoice', 'invoice', 'shipment', 'shipment']);
  });
});
