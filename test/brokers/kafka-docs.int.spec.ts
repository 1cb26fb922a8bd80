import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createKafkaBroker } from 'factum/kafka';
import { consume, eventLogSource, sqliteInbox, startRelay } from 'factum/messaging';
import { createSqliteStore, migrate } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { destroyKafkaNamespace, probeKafka } from '../support/kafka.js';
import { services } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const kafka = await probeKafka();
const dir = tempDir('factum-kafka-docs-');
const self = new URL(import.meta.url).pathname;

function region(name: string): string {
  const text = readFileSync(self, 'utf8');
  const start = text.indexOf(`// #region ${name}\n`);
  const end = text.indexOf(`// #endregion ${name}`);
  return text.slice(start + `// #region ${name}\n`.length, end).replace(/^ {4}/gm, '');
}

describe.skipIf(!kafka.available)('docs/kafka.md', () => {
  const topic = `fkd${Date.now().toString(36)}`;
  afterAll(async () => {
    await destroyKafkaNamespace(topic).catch(() => {});
  });

  it('shows the wiring sample exactly as this test runs it', () => {
    const doc = readFileSync(join(new URL('../..', import.meta.url).pathname, 'docs/kafka.md'), 'utf8');
    expect(doc).toContain(region('kafka'));
  });

  it('wiring: store → relay → Kafka → consumer with an inbox, lag, replay', async () => {
    const brokers = services.kafka;
    const groupIdPrefix = `${topic}.`;
    // #region kafka
    const store = createSqliteStore(join(dir, 'orders.db'));
    const broker = await createKafkaBroker({
      brokers, // e.g. process.env.FACTUM_KAFKA_BROKERS
      topic, // 'factum.events' by default
      groupIdPrefix,
      topicOptions: { partitions: 6 }, // production: replicationFactor: 3, minInsyncReplicas: 2
    });
    await broker.declareGroup({ group: 'billing', categories: ['order'] });
    const relay = startRelay({
      source: eventLogSource(store),
      broker,
    });

    const billing = new Database(join(dir, 'billing.db'));
    migrate(billing);
    billing.exec('CREATE TABLE IF NOT EXISTS invoices (order_id TEXT PRIMARY KEY, total INTEGER NOT NULL)');
    const consumer = await consume(
      broker,
      (event, tx) => {
        // Same transaction as the inbox row: a redelivered event is skipped, never invoiced twice.
        const { total } = event.data as { total: number };
        tx.prepare('INSERT INTO invoices (order_id, total) VALUES (?, ?)').run(event.streamId, total);
      },
      { group: 'billing', categories: ['order'], inbox: sqliteInbox(billing) },
    );

    await store.append('order-42', [{ type: 'OrderPlaced', data: { total: 4999 } }]);
    // #endregion kafka
    const invoices = () => (billing.prepare('SELECT count(*) AS n FROM invoices').get() as { n: number }).n;
    await waitFor('the invoice is written', () => invoices() === 1, 20_000);
    await waitFor('billing has no lag', async () => (await broker.lag('billing')).lag === 0, 20_000);
    // #region replay
    // Rebuild: stop the group's consumers, move it back, start them again.
    await consumer.stop();
    await broker.resetOffsets('billing', { to: 'earliest' }); // or { to: new Date('2026-03-01') }
    const { lag } = await broker.lag('billing'); // everything is waiting again
    // #endregion replay
    expect(lag).toBe(1);
    await relay.stop();
    await broker.close();
    await store.close();
    billing.close();
  });

  it('shows the replay sample exactly as the test runs it', () => {
    const doc = readFileSync(join(new URL('../..', import.meta.url).pathname, 'docs/kafka.md'), 'utf8');
    expect(doc).toContain(region('replay'));
  });
});
