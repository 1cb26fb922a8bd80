import { execFileSync } from 'node:child_process';
import { createMemoryStore } from 'factum';
import { eventLogSource, startRelay } from 'factum/messaging';
import { createRabbitMqBroker } from 'factum/rabbitmq';
import { createSqliteStore } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { destroyNamespace, probeBrokers, uniqueName } from '../support/brokers.js';
import { services } from '../support/services.js';

const available = await probeBrokers();

/** Closes, from the server side, every connection whose client-provided name is `name`. */
function closeConnectionsNamed(name: string): number {
  const out = execFileSync(
    'rabbitmqctl',
    ['list_connections', '--no-table-headers', '--quiet', 'pid', 'client_properties'],
    {
      encoding: 'utf8',
    },
  );
  let closed = 0;
  for (const line of out.split('\n')) {
    const [pid, properties] = line.split('\t');
    if (
      pid === undefined ||
      properties === undefined ||
      !properties.includes(`{"connection_name","${name}"}`)
    )
      continue;
    execFileSync('rabbitmqctl', ['close_connection', pid, 'test: server-side close'], { stdio: 'ignore' });
    closed++;
  }
  return closed;
}

describe('RabbitMQ reconnection', () => {
  it.skipIf(!available.rabbitmq)(
    'reconnects with backoff after the server closes the connection; relay and consumer lose nothing',
    async () => {
      const namespace = uniqueName('reconnect');
      const broker = await createRabbitMqBroker({
        url: services.amqp,
        exchange: namespace,
        connectionName: namespace,
        reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      });
      const store = createMemoryStore();
      const db = createSqliteStore(':memory:');
      let reconnected = 0;
      broker.on('broker.reconnected', () => reconnected++);
      const received = new Set<string>();
      await broker.consume({ group: 'g' }, (e) => {
        received.add(e.id);
      });
      const relay = startRelay({
        source: eventLogSource(store),
        broker,
        batchSize: 20,
        idleMs: 10,
        retry: { initialDelayMs: 50, maxDelayMs: 500 },
      });
      try {
        const appended: string[] = [];
        const append = async (n: number) => {
          for (let i = 0; i < n; i++) {
            await store.append(`order-${i % 5}`, [{ type: 'ItemAdded', data: { i } }]);
          }
          for (const e of (await store.readAll({ limit: 100_000 })).events)
            if (!appended.includes(e.id)) appended.push(e.id);
        };
        await append(100);
        await waitFor('the first events arrive', () => received.size >= 50, 10_000);
        expect(closeConnectionsNamed(namespace)).toBeGreaterThanOrEqual(1);
        await append(100);
        await waitFor('the broker reconnected', () => reconnected >= 1, 15_000);
        await append(100);
        await waitFor('every event arrived', () => appended.every((id) => received.has(id)), 20_000);
        expect(received.size).toBe(300);
      } finally {
        await relay.stop();
        await broker.close();
        await db.close();
        await destroyNamespace('rabbitmq', namespace, ['g']);
      }
    },
    60_000,
  );
});
