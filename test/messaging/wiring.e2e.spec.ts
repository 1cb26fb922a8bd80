import { join } from 'node:path';
import Database from 'better-sqlite3';
import { consume, eventLogSource, sqliteInbox, startRelay } from 'factum/messaging';
import { createRabbitMqBroker } from 'factum/rabbitmq';
import { createSqliteStore, migrate } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { destroyNamespace, probeBrokers, uniqueName } from '../support/brokers.js';
import { services } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const available = await probeBrokers();
const dir = tempDir('factum-wiring-');

describe('store → relay → broker → consumer with an inbox (the docs sample)', () => {
  it.skipIf(!available.rabbitmq)('wires up in a few lines and applies each event once', async () => {
    const exchange = uniqueName('wiring');
    const url = services.amqp;
    // #region wiring
    // Producer side: the event log is the outbox; the relay publishes it and checkpoints after the confirm.
    const store = createSqliteStore(join(dir, 'orders.db'));
    const broker = await createRabbitMqBroker({ url, exchange });
    await broker.declareGroup({ group: 'billing', categories: ['order'] });
    const relay = startRelay({
      source: eventLogSource(store),
      broker,
    });

    // Consumer side: its own database; the inbox row and the handler's writes commit together.
    const billing = new Database(join(dir, 'billing.db'));
    migrate(billing);
    billing.exec('CREATE TABLE IF NOT EXISTS invoices (order_id TEXT PRIMARY KEY, total INTEGER NOT NULL)');
    const consumer = await consume(
      broker,
      (event, tx) => {
        const { orderId, total } = event.data as { orderId: string; total: number };
        tx.prepare('INSERT INTO invoices (order_id, total) VALUES (?, ?)').run(orderId, total);
      },
      { group: 'billing', categories: ['order'], inbox: sqliteInbox(billing) },
    );

    await store.append('order-42', [{ type: 'OrderPlaced', data: { orderId: '42', total: 4999 } }]);
    // #endregion wiring
    await waitFor(
      'the invoice is written',
      () => billing.prepare('SELECT 1 FROM invoices').get() !== undefined,
      10_000,
    );
    expect(billing.prepare('SELECT order_id, total FROM invoices').all()).toEqual([
      { order_id: '42', total: 4999 },
    ]);
    await consumer.stop();
    await relay.stop();
    await broker.close();
    await store.close();
    billing.close();
    await destroyNamespace('rabbitmq', exchange, ['billing']);
  });
});
