import { fileURLToPath } from 'node:url';
import amqplib from 'amqplib';
import type { RabbitMqBroker } from 'factum/rabbitmq';
import { describeBrokerContract } from 'factum/testing';
import { describe } from 'vitest';
import { probeService, services } from '../support/services.js';
import { createBroker } from './rabbitmq-worker.js';

const rabbit = await probeService('RabbitMQ', services.amqp, async () => {
  const conn = await amqplib.connect(services.amqp);
  await conn.close();
});

const created = new Map<string, RabbitMqBroker[]>();

describe.skipIf(!rabbit.available)('RabbitMQ', () => {
  describeBrokerContract('rabbitmq', {
    async create(namespace) {
      const broker = await createBroker(namespace);
      created.set(namespace, [...(created.get(namespace) ?? []), broker]);
      return broker;
    },
    async destroy(namespace) {
      const groups = new Set((created.get(namespace) ?? []).flatMap((b) => b.groups));
      created.delete(namespace);
      const conn = await amqplib.connect(services.amqp);
      try {
        const channel = await conn.createChannel();
        for (const group of groups) {
          await channel.deleteQueue(`${namespace}.${group}`);
          await channel.deleteQueue(`${namespace}.${group}.dlq`);
        }
        await channel.deleteExchange(namespace);
        await channel.deleteExchange(`${namespace}.dlx`);
      } finally {
        await conn.close();
      }
    },
    workerModule: fileURLToPath(new URL('./rabbitmq-worker.ts', import.meta.url)),
    async publishForeign(broker, category, type, body) {
      const conn = await amqplib.connect(services.amqp);
      try {
        const channel = await conn.createConfirmChannel();
        channel.publish(
          (broker as RabbitMqBroker).topology.exchange,
          `${category}.${type}`,
          Buffer.from(body),
          {
            contentType: 'application/json',
            persistent: true,
          },
        );
        await channel.waitForConfirms();
      } finally {
        await conn.close();
      }
    },
  });
});
