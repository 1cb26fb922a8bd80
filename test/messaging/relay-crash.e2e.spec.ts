import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { followStorageOf, loadCheckpoint } from 'factum/follow';
import { consume, relayCheckpoint, sqliteInbox } from 'factum/messaging';
import { createSqliteStore, migrate } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BrokerKind,
  destroyNamespace,
  openBroker,
  probeBrokers,
  uniqueName,
} from '../support/brokers.js';
import { range } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const available = await probeBrokers();
const dir = tempDir('factum-relay-crash-');
const child = fileURLToPath(new URL('./relay-child.ts', import.meta.url));

function runRelay(file: string, kind: BrokerKind, namespace: string, crashAfter: number) {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', child, file, kind, namespace, String(crashAfter)],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
}

describe.each(['rabbitmq', 'nats', 'kafka', 'sqs', 'sns'] as const)(
  'relay crash between publish and checkpoint (%s)',
  (kind) => {
    const cleanup: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanup) await c();
    });

    it.skipIf(!available[kind])(
      'restarts from the checkpoint: every event reaches the broker, the inbox consumer applies each once',
      async () => {
        const namespace = uniqueName('crash');
        cleanup.push(() => destroyNamespace(kind, namespace, ['billing']));
        const file = join(dir, `${namespace}.db`);
        const store = createSqliteStore(file);
        const ids: string[] = [];
        for (let i = 0; i < 40; i++) {
          const streamId = `order-${i % 8}`;
          const events = Array.from({ length: 10 }, (_, k) => ({ type: 'ItemAdded', data: { i, k } }));
          await store.append(streamId, events);
        }
        for (const e of (await store.readAll({ limit: 10_000 })).events) ids.push(e.id);
        const head = (await store.readAll({ limit: 10_000 })).last;

        // The downstream service: its own database, with the inbox in the same transaction as its effects.
        const readModel = new Database(join(dir, `${namespace}-billing.db`));
        migrate(readModel);
        readModel.exec(
          'CREATE TABLE applied (event_id TEXT NOT NULL, stream_id TEXT NOT NULL, version INTEGER NOT NULL)',
        );
        const insert = readModel.prepare(
          'INSERT INTO applied (event_id, stream_id, version) VALUES (?, ?, ?)',
        );
        const broker = await openBroker(kind, namespace);
        let duplicates = 0;
        await broker.declareGroup({ group: 'billing' });

        const first = await runRelay(file, kind, namespace, 3);
        expect(first.signal).toBe('SIGKILL');
        const afterCrash = await loadCheckpoint(followStorageOf(store), relayCheckpoint('crash-relay'));
        // Three batches were confirmed by the broker, but only two checkpoints were saved.
        expect(afterCrash).toBeLessThan(head);

        const second = await runRelay(file, kind, namespace, 0);
        expect(second.code).toBe(0);
        expect(await loadCheckpoint(followStorageOf(store), relayCheckpoint('crash-relay'))).toBe(head);

        await consume(
          broker,
          (event, tx) => {
            tx.prepare('SELECT 1').get();
            insert.run(event.id, event.streamId, event.version);
          },
          {
            group: 'billing',
            inbox: sqliteInbox(readModel),
            onDuplicate: () => {
              duplicates++;
            },
          },
        );
        const count = () => (readModel.prepare('SELECT count(*) AS n FROM applied').get() as { n: number }).n;
        await waitFor('every event is applied', () => count() === ids.length, 20_000);
        await waitFor('the group is drained', async () => (await broker.lag('billing')).lag === 0, 20_000);
        const rows = readModel
          .prepare('SELECT event_id, count(*) AS n FROM applied GROUP BY event_id')
          .all() as {
          event_id: string;
          n: number;
        }[];
        expect(rows.length).toBe(ids.length);
        expect(rows.every((r) => r.n === 1)).toBe(true);
        expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(ids));
        // RabbitMQ and Kafka received the crashed batch twice, and the inbox skipped the second copy;
        // JetStream and SQS/SNS FIFO already drop a re-publish of the same event id within their
        // deduplication windows.
        if (kind === 'rabbitmq' || kind === 'kafka') expect(duplicates).toBeGreaterThanOrEqual(50);
        // Per-stream order survived the crash and the replay.
        const versions = readModel
          .prepare("SELECT version FROM applied WHERE stream_id = 'order-3' ORDER BY rowid")
          .all() as { version: number }[];
        expect(versions.map((v) => v.version)).toEqual(range(1, 50));
        await broker.close();
        readModel.close();
        await store.close();
      },
      60_000,
    );
  },
);
