import Database from 'better-sqlite3';
import { createMemoryStore, ErrorCodes, isFactumError } from 'factum';
import { loadCheckpoint, memoryFollowStorage, sqliteFollowStorage, tryAcquireLease } from 'factum/follow';
import {
  eventLogSource,
  memoryInbox,
  relayCheckpoint,
  relayLeaseName,
  sqliteInbox,
  sqliteOutbox,
  startRelay,
} from 'factum/messaging';
import { migrate } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';
import { recordingBroker } from '../support/recording-broker.js';

function database(): Database.Database {
  const db = new Database(':memory:');
  migrate(db);
  return db;
}

describe('relay', () => {
  it('publishes the log in order and saves the checkpoint only after the broker confirmed', async () => {
    const store = createMemoryStore();
    const db = database();
    const storage = sqliteFollowStorage(db);
    for (let i = 0; i < 30; i++) await store.append(`order-${i % 3}`, [{ type: 'ItemAdded', data: { i } }]);
    const broker = recordingBroker(2);
    const saved: bigint[] = [];
    const relay = startRelay({
      source: eventLogSource(store, { storage }),
      broker,
      batchSize: 7,
      retry: { initialDelayMs: 5 },
    });
    relay.on('relay.committed', (e) => saved.push(e.lastPosition));
    const head = (await store.readAll()).last;
    await waitFor(
      'the relay caught up',
      async () => (await loadCheckpoint(storage, relayCheckpoint('relay'))) === head,
      5000,
    );
    // Two refused publishes, then every event once, in log order.
    expect(broker.calls).toBe(2 + Math.ceil(30 / 7));
    expect(broker.published.map((e) => e.position)).toEqual(
      (await store.readAll()).events.map((e) => e.position),
    );
    expect(saved).toEqual([...saved].sort((a, b) => (a < b ? -1 : 1)));
    // Live: a new append is published promptly.
    await store.append('order-9', [{ type: 'OrderPlaced', data: {} }]);
    await waitFor('the live event is published', () => broker.published.length === 31, 2000);
    await relay.stop();
    expect(relay.status().state).toBe('stopped');
  });

  it('runs one relay per checkpoint: a second waits, then takes over once the first stops', async () => {
    const store = createMemoryStore();
    const db = database();
    for (let i = 0; i < 20; i++) await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { i } }]);
    const first = recordingBroker();
    const second = recordingBroker();
    const storage = sqliteFollowStorage(db);
    const a = startRelay({
      source: eventLogSource(store, { storage }),
      broker: first,
      leaseTtlMs: 300,
    });
    await waitFor('the first relay is running', () => first.published.length === 20, 2000);
    const b = startRelay({
      source: eventLogSource(store, { storage }),
      broker: second,
      leaseTtlMs: 300,
    });
    await store.append('order-x', [{ type: 'OrderPlaced', data: {} }]);
    await waitFor('the first relay publishes the new event', () => first.published.length === 21, 2000);
    await sleep(400);
    expect(b.status().state).toBe('waiting-for-lease');
    expect(second.published).toEqual([]);
    await a.stop();
    await store.append('order-y', [{ type: 'OrderPlaced', data: {} }]);
    await waitFor('the second relay takes over', () => second.published.length === 1, 3000);
    expect(second.published[0]!.streamId).toBe('order-y');
    await b.stop();
  });

  it('stops with the error when publishing fails for a reason that retrying cannot fix', async () => {
    const store = createMemoryStore();
    await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
    const db = database();
    const broker = recordingBroker();
    broker.publish = async () => {
      throw new TypeError('bad configuration');
    };
    const storage = sqliteFollowStorage(db);
    const relay = startRelay({
      source: eventLogSource(store, { storage }),
      broker,
    });
    await expect(relay.done).rejects.toThrow('bad configuration');
    expect(relay.status().state).toBe('failed');
    expect(await loadCheckpoint(storage, relayCheckpoint('relay'))).toBe(0n);
  });
});

describe('outbox (state-based services)', () => {
  it('writes messages in the caller’s transaction: committed with the business row or not at all', async () => {
    const db = database();
    db.exec('CREATE TABLE orders (id TEXT PRIMARY KEY, status TEXT NOT NULL)');
    const outbox = sqliteOutbox(db);
    // #region outbox-enqueue
    const placeOrder = db.transaction((id: string) => {
      db.prepare('INSERT INTO orders (id, status) VALUES (?, ?)').run(id, 'placed');
      outbox.enqueue(db, { streamId: `order-${id}`, type: 'OrderPlaced', data: { orderId: id } });
    });
    placeOrder('42');
    // #endregion outbox-enqueue
    expect(() =>
      db.transaction(() => {
        outbox.enqueue(db, { streamId: 'order-43', type: 'OrderPlaced', data: { orderId: '43' } });
        db.prepare('INSERT INTO orders (id, status) VALUES (?, ?)').run('42', 'duplicate key');
      })(),
    ).toThrow();
    const broker = recordingBroker(1);
    const relay = startRelay({
      source: outbox.source(),
      broker,
      idleMs: 10,
      retry: { initialDelayMs: 5 },
    });
    await waitFor('the outbox is drained', () => broker.published.length === 1, 3000);
    await relay.stop();
    const [event] = broker.published;
    expect(event).toMatchObject({ streamId: 'order-42', category: 'order', type: 'OrderPlaced', version: 1 });
    expect(event!.data).toEqual({ orderId: '42' });
    expect(db.prepare('SELECT count(*) AS n FROM factum_outbox WHERE published_at IS NULL').get()).toEqual({
      n: 0,
    });
  });

  it('refuses to enqueue outside a transaction', () => {
    const db = database();
    const outbox = sqliteOutbox(db);
    let error: unknown;
    try {
      outbox.enqueue(db, { streamId: 'order-1', type: 'OrderPlaced', data: {} });
    } catch (e) {
      error = e;
    }
    expect(isFactumError(error, ErrorCodes.INVALID_ARGUMENT)).toBe(true);
    expect((error as Error).message).toContain("inside the caller's transaction");
  });
});

describe('inbox', () => {
  it('applies an event once: a duplicate is skipped, a failure rolls back effects and record together', async () => {
    const db = database();
    db.exec('CREATE TABLE totals (id TEXT PRIMARY KEY, amount INTEGER NOT NULL)');
    db.prepare('INSERT INTO totals VALUES (?, 0)').run('t');
    const inbox = sqliteInbox(db);
    const add = (tx: Database.Database) => {
      tx.prepare('UPDATE totals SET amount = amount + 10 WHERE id = ?').run('t');
    };
    const event = { id: '0190f3c2-7a1e-7c55-9b1e-3f2d4c5b6a79' };
    await expect(
      inbox.process('billing', event, (tx) => {
        add(tx);
        throw new Error('handler failed after writing');
      }),
    ).rejects.toThrow('handler failed');
    expect(await inbox.has('billing', event.id)).toBe(false);
    expect(await inbox.process('billing', event, add)).toBe('processed');
    expect(await inbox.process('billing', event, add)).toBe('duplicate');
    expect(await inbox.process('shipping', event, () => {})).toBe('processed');
    expect(db.prepare('SELECT amount FROM totals').get()).toEqual({ amount: 10 });
  });
});

describe('memory storage', () => {
  it('relays a memory store with memory checkpoints and leases, and dedupes with a memory inbox', async () => {
    const store = createMemoryStore();
    await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
    const storage = memoryFollowStorage(store);
    const broker = recordingBroker();
    const relay = startRelay({ source: eventLogSource(store), broker });
    await waitFor('published', () => broker.published.length === 1, 2000);
    expect(await tryAcquireLease(storage, relayLeaseName('relay'), 'someone-else', 1000)).toBeUndefined();
    await relay.stop();
    expect(await loadCheckpoint(storage, relayCheckpoint('relay'))).toBe(broker.published[0]!.position);
    const inbox = memoryInbox();
    let applied = 0;
    const apply = () => {
      applied++;
    };
    expect(await inbox.process('c', broker.published[0]!, apply)).toBe('processed');
    expect(await inbox.process('c', broker.published[0]!, apply)).toBe('duplicate');
    expect(applied).toBe(1);
  });
});
