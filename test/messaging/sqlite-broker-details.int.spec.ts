import { join } from 'node:path';
import { BrokerClosedError, ValidationError } from 'factum';
import {
  consume,
  createSqliteBroker,
  eventLogSource,
  type SqliteBroker,
  sqliteInbox,
  startRelay,
} from 'factum/messaging';
import { createSqliteStore } from 'factum/sqlite';
import { interleaved } from 'factum/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-sqlite-broker-');
let n = 0;
const opened: SqliteBroker[] = [];

function open(file = join(dir, `b-${++n}.db`)) {
  const broker = createSqliteBroker({ file, pollMs: 20, leaseMs: 1000, retention: false });
  opened.push(broker);
  return { broker, file };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
});

const count = (file: string, table: string) => {
  const store = createSqliteStore(file);
  try {
    return (store.database.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    void store.close();
  }
};

describe('the SQLite transport', () => {
  it('wires a store, a relay and an idempotent consumer on one file (the docs sample)', async () => {
    // #region sqlite-broker
    // One SQLite file holds the events, the queues, and the billing service's rows.
    const store = createSqliteStore(join(dir, 'shop.db'));
    const broker = createSqliteBroker({ store });
    await broker.declareGroup({ group: 'billing', categories: ['order'] });
    const relay = startRelay({ source: eventLogSource(store), broker });

    // The billing service: in this process, or in another one that opens the same file.
    store.database.exec('CREATE TABLE IF NOT EXISTS invoices (order_id TEXT PRIMARY KEY, total INTEGER)');
    const consumer = await consume(
      broker,
      (event, tx) => {
        const { orderId, total } = event.data as { orderId: string; total: number };
        tx.prepare('INSERT INTO invoices (order_id, total) VALUES (?, ?)').run(orderId, total);
      },
      { group: 'billing', categories: ['order'], inbox: sqliteInbox(store) },
    );

    await store.append('order-42', [{ type: 'OrderPlaced', data: { orderId: '42', total: 4999 } }]);
    // #endregion sqlite-broker
    const invoices = () => store.database.prepare('SELECT order_id, total FROM invoices').all();
    await waitUntil(() => invoices().length === 1, 5000);
    expect(invoices()).toEqual([{ order_id: '42', total: 4999 }]);
    await consumer.stop();
    await relay.stop();
    await broker.close();
    await store.close();
  });

  it('deletes a message once every group has handled it, in batches', async () => {
    const { broker, file } = open();
    await broker.declareGroup({ group: 'a' });
    await broker.declareGroup({ group: 'b' });
    const events = interleaved(['order-1', 'order-2'], 10);
    await broker.publish(events);
    const a = new Set<string>();
    await broker.consume({ group: 'a' }, (e) => {
      a.add(e.id);
    });
    await waitUntil(() => a.size === events.length, 5000);
    await waitUntil(async () => (await broker.lag('a')).lag === 0, 5000);
    expect(await broker.prune()).toBe(0);
    expect(count(file, 'factum_broker_messages')).toBe(20);
    const b = new Set<string>();
    await broker.consume({ group: 'b' }, (e) => {
      b.add(e.id);
    });
    await waitUntil(async () => (await broker.lag('b')).lag === 0, 5000);
    expect(await broker.prune()).toBe(20);
    expect(count(file, 'factum_broker_messages')).toBe(0);
  });

  it('lets timers and sockets run while deliveries keep waiting (its database calls never yield on their own)', async () => {
    const { broker } = open();
    await broker.declareGroup({ group: 'busy' });
    const events = interleaved(['order-1', 'order-2', 'order-3', 'order-4'], 1_000);
    await broker.publish(events);
    let handled = 0;
    let handledAtFirstTick: number | undefined;
    const tick = setTimeout(() => {
      handledAtFirstTick = handled;
    }, 0);
    try {
      // A synchronous handler: each delivery settles without any I/O of its own.
      await broker.consume({ group: 'busy', prefetch: 50 }, () => {
        handled++;
      });
      await waitUntil(() => handled === events.length, 20_000);
      // The timer ran between batches, not after the last one.
      expect(handledAtFirstTick).toBeDefined();
      expect(handledAtFirstTick!).toBeLessThan(events.length);
    } finally {
      clearTimeout(tick);
    }
  });

  it('gives a group only the types it declared, and keeps nothing no group is declared for', async () => {
    const { broker, file } = open();
    await broker.publish(interleaved(['order-0'], 3));
    expect(count(file, 'factum_broker_messages')).toBe(0);
    await broker.declareGroup({ group: 'placed', types: ['OrderPlaced'] });
    const events = interleaved(['order-1', 'order-2', 'order-3'], 3);
    await broker.publish(events);
    expect((await broker.lag('placed')).lag).toBe(3);
    const got: string[] = [];
    await broker.consume({ group: 'placed', types: ['OrderPlaced'] }, (e) => {
      got.push(e.type);
    });
    await waitUntil(() => got.length === 3, 5000);
    await sleep(100);
    expect(got).toEqual(['OrderPlaced', 'OrderPlaced', 'OrderPlaced']);
  });

  it('shares an event store: a publish inside the store transaction commits or rolls back with it', async () => {
    const store = createSqliteStore(join(dir, `shared-${++n}.db`));
    const broker = createSqliteBroker({ store, pollMs: 20 });
    try {
      await broker.declareGroup({ group: 'g' });
      const [kept, dropped] = interleaved(['order-1', 'order-2'], 1);
      await store
        .transaction(async () => {
          await broker.publish([dropped!]);
          throw new Error('rolled back');
        })
        .catch(() => {});
      await store.transaction(async () => {
        await broker.publish([kept!]);
      });
      const got: string[] = [];
      await broker.consume({ group: 'g' }, (e) => {
        got.push(e.id);
      });
      await waitUntil(() => got.length === 1, 5000);
      await sleep(100);
      expect(got).toEqual([kept!.id]);
      await broker.close();
      // The store is the caller's: still open.
      await store.append('order-9', [{ type: 'OrderPlaced', data: {} }]);
    } finally {
      await broker.close();
      await store.close();
    }
  });

  it("dead-letters a message whose consumers kept dying without acknowledging it ('delivery-limit')", async () => {
    const { broker, file } = open();
    await broker.declareGroup({ group: 'g' });
    const [event] = interleaved(['order-1'], 1);
    await broker.publish([event!]);
    // As if three consumers had claimed it and crashed, each lease long gone.
    const store = createSqliteStore(file);
    store.database
      .prepare("UPDATE factum_broker_deliveries SET delivery_count = 3, owner = 'dead', lease_until = 1")
      .run();
    await store.close();
    const handled: string[] = [];
    await broker.consume({ group: 'g', maxDeliveries: 3 }, (e) => {
      handled.push(e.id);
    });
    await waitUntil(async () => (await broker.deadLetters('g')).length === 1, 5000);
    const [letter] = await broker.deadLetters('g');
    expect(letter!.reason).toBe('delivery-limit');
    expect(letter!.attempts).toBe(3);
    expect(letter!.event).toEqual(event);
    expect(letter!.headers['factum-id']).toBe(event!.id);
    expect(handled).toEqual([]);
  });

  it('renews the lease while a handler runs past it: no other consumer takes the message meanwhile', async () => {
    const file = join(dir, `lease-${++n}.db`);
    const slow = createSqliteBroker({ file, pollMs: 20, leaseMs: 300, retention: false });
    const other = createSqliteBroker({ file, pollMs: 20, leaseMs: 300, retention: false });
    opened.push(slow, other);
    await slow.declareGroup({ group: 'g' });
    const [event] = interleaved(['order-1'], 1);
    await slow.publish([event!]);
    const calls: string[] = [];
    await slow.consume({ group: 'g' }, async () => {
      calls.push('slow');
      await sleep(1200);
    });
    await waitUntil(() => calls.length === 1, 5000);
    await other.consume({ group: 'g' }, () => {
      calls.push('other');
    });
    await waitUntil(async () => (await slow.lag('g')).lag === 0, 5000);
    await sleep(100);
    expect(calls).toEqual(['slow']);
  });

  it('gives back what a stopped consumer held but never handled, without counting it as delivered', async () => {
    const { broker, file } = open();
    await broker.declareGroup({ group: 'g' });
    const events = interleaved(['order-1', 'order-2'], 5);
    await broker.publish(events);
    let first = 0;
    const stopping = await broker.consume({ group: 'g', prefetch: 10 }, async () => {
      first++;
      await sleep(100);
    });
    await waitUntil(() => first === 1, 5000);
    await stopping.stop();
    const other = open(file).broker;
    const counts: number[] = [];
    await other.consume({ group: 'g' }, (_e, ctx) => {
      counts.push(ctx.deliveryCount);
    });
    await waitUntil(async () => (await other.lag('g')).lag === 0, 5000);
    // The first consumer acknowledged the one it handled; the other nine arrive as first deliveries.
    expect(counts).toEqual(Array(events.length - 1).fill(1));
  });

  it('refuses bad options and calls after close with typed errors', async () => {
    const store = createSqliteStore(':memory:');
    expect(() => createSqliteBroker({ store, file: join(dir, 'x.db') })).toThrow(ValidationError);
    expect(() => createSqliteBroker({} as never)).toThrow(ValidationError);
    expect(() => createSqliteBroker({ store, pollMs: 0 })).toThrow(/pollMs/);
    const broker = createSqliteBroker({ store });
    await expect(broker.declareGroup({ group: '' })).rejects.toThrow(ValidationError);
    await broker.close();
    await expect(broker.publish([])).rejects.toThrow(BrokerClosedError);
    await store.close();
  });
});
