import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { consume, eventLogSource, sqliteInbox, startRelay } from 'factum/messaging';
import { createSqliteStore, migrate } from 'factum/sqlite';
import { createSqsBroker } from 'factum/sqs';
import { waitFor } from 'factum/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { services } from '../support/services.js';
import { destroySqsNamespace, localCredentials, probeSqs, uniquePrefix } from '../support/sqs.js';
import { tempDir } from '../support/temp.js';

const fauxqs = await probeSqs('fauxqs');
const dir = tempDir('factum-sqs-docs-');
const self = new URL(import.meta.url).pathname;

function region(name: string): string {
  const text = readFileSync(self, 'utf8');
  const start = text.indexOf(`// #region ${name}\n`);
  const end = text.indexOf(`// #endregion ${name}`);
  return text.slice(start + `// #region ${name}\n`.length, end).replace(/^ {4}/gm, '');
}

describe.skipIf(!fauxqs.available)('docs/sqs.md', () => {
  const prefix = uniquePrefix('fsd');
  afterAll(async () => {
    await destroySqsNamespace('fauxqs', prefix).catch(() => {});
  });

  it('shows the wiring sample exactly as this test runs it', () => {
    const doc = readFileSync(join(new URL('../..', import.meta.url).pathname, 'docs/sqs.md'), 'utf8');
    expect(doc).toContain(region('sqs'));
  });

  it('wiring: store → relay → SNS topic → SQS FIFO queue → consumer with an inbox', async () => {
    const endpoint = services.sns;
    const credentials = localCredentials;
    // #region sqs
    const store = createSqliteStore(join(dir, 'orders.db'));
    const broker = await createSqsBroker({
      region: 'us-east-1', // required: never taken from the environment
      endpoint, // a local server (fauxqs, ElasticMQ); omit for AWS
      snsEndpoint: endpoint,
      credentials, // omit for AWS: the SDK's provider chain (environment, profile, role)
      fanOut: 'sns', // one FIFO topic per category, each group a FIFO queue subscribed to it
      prefix, // queues '<prefix>-<group>.fifo', topics '<prefix>-<category>.fifo'
      expectedHandlerMs: 2000, // visibility timeout 12 s, extended while a handler runs
    });
    await broker.declareGroup({ group: 'billing', categories: ['order'], maxDeliveries: 5 });
    const relay = startRelay({ source: eventLogSource(store), broker });

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
    // #endregion sqs
    const invoices = () => (billing.prepare('SELECT count(*) AS n FROM invoices').get() as { n: number }).n;
    await waitFor('the invoice is written', () => invoices() === 1, 20_000);
    await waitFor('billing has no lag', async () => (await broker.lag('billing')).lag === 0, 20_000);
    await relay.stop();
    await consumer.stop();
    await broker.close();
    billing.close();
    await store.close();
  });

  it('the README sample: a relay publishing to SNS topics, a group subscribed to one', async () => {
    const endpoint = services.sns;
    const credentials = localCredentials;
    const store = createSqliteStore(join(dir, 'readme.db'));
    const readmePrefix = `${prefix}r`;
    // #region readme
    const broker = await createSqsBroker({
      region: 'eu-west-1', // or pass your own SQSClient and SNSClient: { sqs, sns }
      ...{ endpoint, snsEndpoint: endpoint, credentials }, // a local server; omit on AWS
      fanOut: 'sns', // a FIFO topic per category; each group a FIFO queue subscribed to it
      prefix: readmePrefix,
    });
    await broker.declareGroup({ group: 'billing', categories: ['order'], maxDeliveries: 5 });
    const relay = startRelay({ source: eventLogSource(store), broker });
    // #endregion readme
    await store.append('order-7', [{ type: 'OrderPlaced', data: { total: 1 } }]);
    await waitFor('the event is in the queue', async () => (await broker.lag('billing')).lag === 1, 20_000);
    await relay.stop();
    await broker.close();
    await store.close();
    await destroySqsNamespace('fauxqs', readmePrefix);
  });
});
