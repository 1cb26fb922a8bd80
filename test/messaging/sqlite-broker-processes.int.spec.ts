import { join } from 'node:path';
import { createSqliteBroker } from 'factum/messaging';
import { createSqliteStore } from 'factum/sqlite';
import { interleaved } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { type Child, startChild } from '../support/child-process.js';
import { sleep, waitUntil } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const script = new URL('./sqlite-broker-child.ts', import.meta.url).pathname;
const dir = tempDir('factum-sqlite-broker-processes-');
let n = 0;
const start = (file: string, namespace: string, group: string, hangAt = 0): Child =>
  startChild(script, [file, namespace, group, String(hangAt)], 15_000);
const kill = (c: Child) => c.kill();

/** A store file with the effects table the children write, and a broker on it in this process. */
function setup() {
  const file = join(dir, `app-${++n}.db`);
  const namespace = `ns${n}`;
  const store = createSqliteStore(file);
  store.database.exec(
    'CREATE TABLE effects (n INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, stream_id TEXT NOT NULL, version INTEGER NOT NULL, pid INTEGER NOT NULL)',
  );
  const broker = createSqliteBroker({ store, namespace, pollMs: 20, leaseMs: 1000 });
  const effects = () =>
    store.database
      .prepare('SELECT event_id AS id, stream_id AS streamId, version, pid FROM effects ORDER BY n')
      .all() as {
      id: string;
      streamId: string;
      version: number;
      pid: number;
    }[];
  return { file, namespace, store, broker, effects };
}

const handledIds = (c: Child) => c.lines.filter((l) => l.startsWith('handled ')).map((l) => l.split(' ')[1]!);

describe('the SQLite transport across processes', () => {
  it('two consumer processes compete for what this process publishes: each event handled once, streams in order', async () => {
    const { file, namespace, store, broker, effects } = setup();
    await broker.declareGroup({ group: 'billing' });
    const a = start(file, namespace, 'billing');
    const b = start(file, namespace, 'billing');
    try {
      await Promise.all([a.waitFor(/^ready$/), b.waitFor(/^ready$/)]);
      const events = interleaved(['order-1', 'order-2', 'order-3', 'order-4', 'order-5', 'order-6'], 25);
      for (let i = 0; i < events.length; i += 10) {
        await broker.publish(events.slice(i, i + 10));
        await sleep(15);
      }
      await waitUntil(() => effects().length >= events.length, 20_000);
      await sleep(200);
      const rows = effects();
      expect(rows.length).toBe(events.length);
      expect(new Set(rows.map((r) => r.id)).size).toBe(events.length);
      // Claims never overlap: no event reached both processes.
      const fromA = new Set(handledIds(a));
      expect(handledIds(b).filter((id) => fromA.has(id))).toEqual([]);
      expect(fromA.size).toBeGreaterThan(0);
      expect(handledIds(b).length).toBeGreaterThan(0);
      // In commit order, each stream's versions rise.
      const byStream = new Map<string, number[]>();
      for (const r of rows) byStream.set(r.streamId, [...(byStream.get(r.streamId) ?? []), r.version]);
      for (const versions of byStream.values()) expect(versions).toEqual([...versions].sort((x, y) => x - y));
      expect((await broker.lag('billing')).lag).toBe(0);
    } finally {
      await Promise.all([kill(a), kill(b)]);
      await broker.close();
      await store.close();
    }
  });

  it('a consumer killed with SIGKILL mid-handler loses nothing: its message is redelivered to another process and applied once', async () => {
    const { file, namespace, store, broker, effects } = setup();
    await broker.declareGroup({ group: 'billing' });
    const events = interleaved(['order-1', 'order-2', 'order-3'], 10);
    await broker.publish(events);
    const first = start(file, namespace, 'billing', 7);
    let second: Child | undefined;
    try {
      // The first process applies 7 events and hangs in the 7th handler, after its effect committed.
      const hungLine = await first.waitFor(/^hung /);
      const hung = hungLine.split(' ')[1]!;
      await kill(first);
      // A second process starts after the crash and takes over once the dead consumer's lease ran out.
      second = start(file, namespace, 'billing');
      await second.waitFor(/^ready$/);
      const took = second;
      await waitUntil(() => took.lines.some((l) => l.startsWith(`duplicate ${hung} `)), 15_000);
      await waitUntil(async () => (await broker.lag('billing')).lag === 0, 15_000);
      const rows = effects();
      expect(rows.length).toBe(events.length);
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(events.map((e) => e.id)));
      // The redelivery came again (deliveryCount ≥ 2), found in the inbox and was not applied twice.
      const redelivery = took.lines.find((l) => l.startsWith(`duplicate ${hung} `))!;
      expect(Number(redelivery.split(' ')[2])).toBeGreaterThanOrEqual(2);
      expect(rows.filter((r) => r.id === hung)).toHaveLength(1);
      expect(rows.find((r) => r.id === hung)!.pid).toBe(first.child.pid);
      expect(await broker.deadLetters('billing')).toEqual([]);
    } finally {
      await Promise.all([kill(first), second === undefined ? undefined : kill(second)]);
      await broker.close();
      await store.close();
    }
  });
});
