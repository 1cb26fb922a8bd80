import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { followStorageOf, loadCheckpoint } from 'factum/follow';
import { consume, postgresInbox, relayCheckpoint } from 'factum/messaging';
import { createPostgresStore } from 'factum/postgres';
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
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';

const pg = await probePostgres();
const available = await probeBrokers();
const child = fileURLToPath(new URL('./relay-child.ts', import.meta.url));
const nextSchema = schemaNamer('factum_crash');

function runRelay(schema: string, kind: BrokerKind, namespace: string, crashAfter: number) {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', child, `postgres:${schema}`, kind, namespace, String(crashAfter)],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
}

describe.skipIf(!pg.available).each(['rabbitmq', 'nats'] as const)(
  'PostgreSQL store: relay crash between publish and checkpoint (%s)',
  (kind) => {
    const { pool, dropLater } = testPool({ max: 6 });
    const cleanup: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanup) await c();
    });

    it.skipIf(!available[kind])(
      'restarts from the checkpoint: every event reaches the broker, the PostgreSQL inbox applies each once',
      async () => {
        const namespace = uniqueName('pgcrash');
        cleanup.push(() => destroyNamespace(kind, namespace, ['billing']));
        const schema = nextSchema();
        dropLater(schema);
        const store = await createPostgresStore({ pool, schema, migrate: true });
        for (let i = 0; i < 40; i++) {
          const events = Array.from({ length: 10 }, (_, k) => ({ type: 'ItemAdded', data: { i, k } }));
          await store.append(`order-${i % 8}`, events);
        }
        const all = await store.readAll({ limit: 10_000 });
        const ids = all.events.map((e) => e.id);
        const broker = await openBroker(kind, namespace);
        await broker.declareGroup({ group: 'billing' });

        const first = await runRelay(schema, kind, namespace, 3);
        expect(first.signal).toBe('SIGKILL');
        // Three batches were confirmed by the broker, but only two checkpoints were saved.
        expect(await loadCheckpoint(followStorageOf(store), relayCheckpoint('crash-relay'))).toBeLessThan(
          all.last,
        );
        const second = await runRelay(schema, kind, namespace, 0);
        expect(second.code).toBe(0);
        expect(await loadCheckpoint(followStorageOf(store), relayCheckpoint('crash-relay'))).toBe(all.last);

        await pool.query(
          `CREATE TABLE "${schema}".applied (event_id uuid NOT NULL, stream_id text NOT NULL, version int NOT NULL, seq bigserial)`,
        );
        let duplicates = 0;
        // #region pg-inbox
        const consumer = await consume(
          broker,
          async (event, tx) => {
            await tx.query(
              `INSERT INTO "${schema}".applied (event_id, stream_id, version) VALUES ($1, $2, $3)`,
              [event.id, event.streamId, event.version],
            );
          },
          { group: 'billing', inbox: postgresInbox({ pool, schema }), onDuplicate: () => duplicates++ },
        );
        // #endregion pg-inbox
        const count = async () =>
          (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".applied`)).rows[0]!.n;
        await waitFor('every event is applied', async () => (await count()) === ids.length, 20_000);
        await waitFor('the group is drained', async () => (await broker.lag('billing')).lag === 0, 20_000);
        const { rows } = await pool.query<{ event_id: string; n: number }>(
          `SELECT event_id, count(*)::int AS n FROM "${schema}".applied GROUP BY event_id`,
        );
        expect(rows.length).toBe(ids.length);
        expect(rows.every((r) => r.n === 1)).toBe(true);
        expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(ids));
        // RabbitMQ received the crashed batch twice and the inbox skipped the second copy; JetStream
        // already drops a re-publish of the same event id within its duplicate window.
        if (kind === 'rabbitmq') expect(duplicates).toBeGreaterThanOrEqual(50);
        const versions = await pool.query<{ version: number }>(
          `SELECT version FROM "${schema}".applied WHERE stream_id = 'order-3' ORDER BY seq`,
        );
        expect(versions.rows.map((v) => v.version)).toEqual(range(1, 50));
        await consumer.stop();
        await broker.close();
        await store.close();
      },
      60_000,
    );
  },
);
