import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { createMemoryStore } from 'factum';
import { createRabbitMqBroker } from 'factum/rabbitmq';
import { hashToken, serve } from 'factum/server';
import { describe, expect, it } from 'vitest';
import { probeService, services } from '../support/services.js';

const rabbit = await probeService('RabbitMQ', services.amqp, async () => {
  const conn = await amqplib.connect(services.amqp);
  await conn.close();
});

describe.skipIf(!rabbit.available)('the API over a real broker (RabbitMQ)', () => {
  it("shows a group's consumer lag and its dead letters, read without taking them", async () => {
    const exchange = `factum-api-${randomBytes(4).toString('hex')}`;
    const broker = await createRabbitMqBroker({ url: services.amqp, exchange });
    await broker.declareGroup({ group: 'billing' });
    const conn = await amqplib.connect(services.amqp);
    const store = createMemoryStore();
    const server = await serve({
      store,
      broker,
      groups: ['billing'],
      port: 0,
      tokensFromEnv: false,
      tokens: [
        { name: 'r', role: 'reader', sha256: hashToken('reader-secret') },
        { name: 'v', role: 'viewer', sha256: hashToken('viewer-secret') },
      ],
    });
    try {
      const channel = await conn.createConfirmChannel();
      channel.publish(`${exchange}.dlx`, 'billing', Buffer.from('{"not":"an event"}'), {
        persistent: true,
        headers: {
          'x-factum-reason': 'handler-failed',
          'x-factum-error': 'card declined twice',
          'x-factum-attempts': 5,
        },
      });
      await channel.waitForConfirms();
      const get = (path: string, token: string) =>
        fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const letters = (await (await get('/api/v1/broker-dead-letters', 'reader-secret')).json()) as {
        broker: boolean;
        groups: { group: string; deadLetters: { error: string; attempts: number; reason: string }[] }[];
      };
      expect(letters.broker).toBe(true);
      expect(letters.groups[0]?.group).toBe('billing');
      expect(letters.groups[0]?.deadLetters).toEqual([
        expect.objectContaining({ error: 'card declined twice', attempts: 5, reason: 'handler-failed' }),
      ]);
      // Peeked, not taken: it is still there.
      const again = (await (
        await get('/api/v1/broker-dead-letters?group=billing', 'reader-secret')
      ).json()) as {
        groups: { deadLetters: unknown[] }[];
      };
      expect(again.groups[0]?.deadLetters).toHaveLength(1);
      expect((await get('/api/v1/broker-dead-letters', 'viewer-secret')).status).toBe(403);
      const messaging = (await (await get('/api/v1/messaging', 'viewer-secret')).json()) as {
        consumers: { group: string; lag: number }[];
      };
      expect(messaging.consumers).toEqual([expect.objectContaining({ group: 'billing', lag: 0 })]);
    } finally {
      await server.close();
      const channel = await conn.createChannel();
      await channel.deleteQueue(`${exchange}.billing`);
      await channel.deleteQueue(`${exchange}.billing.dlq`);
      await channel.deleteExchange(exchange);
      await channel.deleteExchange(`${exchange}.dlx`);
      await conn.close();
      await broker.close();
      await store.close();
    }
  });
});
