import { join } from 'node:path';
import amqplib from 'amqplib';
import type { StoredEvent } from 'factum';
import { eventLogSource, startRelay } from 'factum/messaging';
import { messagingMetrics } from 'factum/observability';
import { createSqliteStore } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { destroyNamespace, openBroker, uniqueName } from '../support/brokers.js';
import { probeService, services } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { scrape } from './support/scrape.js';

const rabbitmq = await probeService('RabbitMQ', services.amqp, async () => {
  const connection = await amqplib.connect(services.amqp);
  await connection.close();
});
const dir = tempDir('factum-messaging-metrics-');

describe('messagingMetrics', () => {
  it.skipIf(!rabbitmq.available)(
    'follows a relay (running, events published) and a RabbitMQ group (lag, retries, dead letters)',
    async () => {
      const exchange = uniqueName('metrics');
      const store = createSqliteStore(join(dir, 'orders.db'));
      const broker = await openBroker('rabbitmq', exchange);
      const group = 'billing';
      await broker.declareGroup({ group, categories: ['order'] });
      const relay = startRelay({
        source: eventLogSource(store),
        broker,
      });
      // #region messaging-metrics
      const registry = new Registry(); // or leave it out: prom-client's global registry
      const metrics = messagingMetrics({ relays: [relay], broker, groups: ['billing'] }, { registry });
      // #endregion messaging-metrics
      const ofRelay = { relay: 'relay' };
      const ofGroup = { broker: 'rabbitmq', group };
      let consumer: { stop(): Promise<void> } | undefined;
      try {
        const empty = await scrape(registry);
        expect(empty('factum_relay_published_events_total', ofRelay)).toBe(0);
        expect(empty('factum_consumer_lag_messages', ofGroup)).toBe(0);
        expect(empty('factum_consumer_dead_lettered_total', { ...ofGroup, reason: 'handler-failed' })).toBe(
          0,
        );

        let head = 0n;
        for (let i = 0; i < 5; i++) {
          ({ position: head } = await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { i } }]));
        }
        const committed = new Promise<void>((resolve) => {
          const off = relay.on('relay.committed', (e) => {
            if (e.lastPosition >= head) {
              off();
              resolve();
            }
          });
        });
        await committed;
        await waitFor(
          'the queue holds the 5 events',
          async () => (await broker.lag(group)).lag === 5,
          10_000,
        );
        const published = await scrape(registry);
        expect(published('factum_relay_published_events_total', ofRelay)).toBe(5);
        expect(published('factum_relay_running', ofRelay)).toBe(1);
        expect(published('factum_consumer_lag_messages', ofGroup)).toBe(5);

        // order-2 always fails: one in-process retry (maxDeliveries 2), then the dead-letter queue.
        const handled: StoredEvent[] = [];
        let deadLettered = false;
        broker.on('consumer.dead-lettered', () => {
          deadLettered = true;
        });
        consumer = await broker.consume(
          { group, categories: ['order'], maxDeliveries: 2, retry: { initialDelayMs: 5 } },
          (event) => {
            if (event.streamId === 'order-2') throw new Error('no invoice for order-2');
            handled.push(event);
          },
        );
        await waitFor('4 handled, 1 dead-lettered', () => handled.length === 4 && deadLettered, 10_000);
        await waitFor('the queue is drained', async () => (await broker.lag(group)).lag === 0, 10_000);
        const consumed = await scrape(registry);
        expect(consumed('factum_consumer_lag_messages', ofGroup)).toBe(0);
        expect(consumed('factum_consumer_retries_total', ofGroup)).toBe(1);
        expect(
          consumed('factum_consumer_dead_lettered_total', { ...ofGroup, reason: 'handler-failed' }),
        ).toBe(1);
        expect(
          consumed('factum_consumer_dead_lettered_total', { ...ofGroup, reason: 'invalid-message' }),
        ).toBe(0);
        expect(consumed('factum_broker_disconnects_total', { broker: 'rabbitmq' })).toBe(0);

        await relay.stop();
        expect((await scrape(registry))('factum_relay_running', ofRelay)).toBe(0);
        metrics.close();
        expect(await registry.metrics()).not.toContain('factum_');
      } finally {
        await consumer?.stop();
        await relay.stop();
        await broker.close();
        await destroyNamespace('rabbitmq', exchange, [group]);
        await store.close();
      }
    },
  );
});
