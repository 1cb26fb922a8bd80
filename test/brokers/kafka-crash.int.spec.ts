import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { KafkaBroker } from 'factum/kafka';
import { consume, sqliteInbox } from 'factum/messaging';
import { migrate } from 'factum/sqlite';
import { interleaved, waitFor } from 'factum/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { range } from '../support/helpers.js';
import { destroyKafkaNamespace, probeKafka } from '../support/kafka.js';
import { tempDir } from '../support/temp.js';
import { createBroker } from './kafka-worker.js';

const kafka = await probeKafka();
const dir = tempDir('factum-kafka-crash-');
const child = fileURLToPath(new URL('./kafka-inbox-child.ts', import.meta.url));

describe.skipIf(!kafka.available)(
  'Kafka consumer crash between the inbox commit and the offset commit',
  () => {
    const namespace = `fkc${Date.now().toString(36)}${process.pid.toString(36)}`;
    let broker: KafkaBroker | undefined;
    afterAll(async () => {
      await broker?.close().catch(() => {});
      await destroyKafkaNamespace(namespace).catch(() => {});
    });

    it('redelivers the record whose offset was not committed; the inbox applies every event once', async () => {
      broker = await createBroker(namespace);
      await broker.declareGroup({ group: 'billing' });
      const events = interleaved(['order-1', 'order-2', 'order-3', 'order-4'], 10);
      await broker.publish(events);
      const file = join(dir, 'billing.db');
      const db = new Database(file);
      migrate(db);
      db.exec(
        'CREATE TABLE applied (event_id TEXT NOT NULL, stream_id TEXT NOT NULL, version INTEGER NOT NULL)',
      );
      const out = join(dir, 'child.txt');
      const proc = spawn(process.execPath, ['--import', 'tsx', child, namespace, file, out, '9'], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        proc.on('exit', (_, signal) => resolve(signal)),
      );
      const hungLine = () => (existsSync(out) ? readFileSync(out, 'utf8').match(/^hung (\S+)$/m) : null);
      await waitFor(
        'the child committed an event in its inbox and hangs before the offset commit',
        () => hungLine() !== null,
        30_000,
      );
      proc.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const hung = hungLine()![1]!;
      const applied = () =>
        db.prepare('SELECT event_id, count(*) AS n FROM applied GROUP BY event_id').all() as {
          event_id: string;
          n: number;
        }[];
      expect(applied().some((r) => r.event_id === hung)).toBe(true);

      // The same service restarts: same database, same group.
      const duplicates: string[] = [];
      const insert = db.prepare('INSERT INTO applied (event_id, stream_id, version) VALUES (?, ?, ?)');
      await consume(
        broker,
        (event) => {
          insert.run(event.id, event.streamId, event.version);
        },
        { group: 'billing', inbox: sqliteInbox(db), onDuplicate: (e) => duplicates.push(e.id) },
      );
      await waitFor('every event is applied', () => applied().length === events.length, 30_000);
      await waitFor('the group is drained', async () => (await broker!.lag('billing')).lag === 0, 30_000);
      // The event whose offset the crash left uncommitted came again and was skipped by the inbox.
      expect(duplicates).toContain(hung);
      expect(applied().every((r) => r.n === 1)).toBe(true);
      expect(new Set(applied().map((r) => r.event_id))).toEqual(new Set(events.map((e) => e.id)));
      // Per stream, the versions were applied in order.
      for (const stream of ['order-1', 'order-2', 'order-3', 'order-4']) {
        const versions = db
          .prepare('SELECT version FROM applied WHERE stream_id = ? ORDER BY rowid')
          .all(stream) as { version: number }[];
        expect(versions.map((v) => v.version)).toEqual(range(1, 10));
      }
      db.close();
    }, 60_000);
  },
);
