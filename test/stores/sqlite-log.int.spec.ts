import { join } from 'node:path';
import { newEventId } from 'factum';
import { createSqliteStore, type SqliteEventStore } from 'factum/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-sqlite-log-');
let n = 0;

describe('SQLite store: the event log', () => {
  let store: SqliteEventStore;
  afterEach(async () => {
    await store.close();
  });
  const open = () => {
    store = createSqliteStore(join(dir, `log-${++n}.db`));
    return store;
  };

  it('readAll returns last = after on an empty filtered page, wherever after is', async () => {
    open();
    await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
    const { position } = await store.append('payment-1', [{ type: 'PaymentReceived', data: {} }]);
    await store.append('order-1', [{ type: 'OrderShipped', data: {} }]);
    for (const after of [0n, 1n, position, position + 1n, 1000n]) {
      expect(await store.readAll({ after, types: ['Missing'] })).toEqual({ events: [], last: after });
      expect(await store.readAll({ after, categories: ['missing'] })).toEqual({ events: [], last: after });
    }
    const page = await store.readAll({ after: position, categories: ['payment'] });
    expect(page).toEqual({ events: [], last: position });
  });

  it('stores an append of more events than one INSERT statement takes, and retries it idempotently', async () => {
    open();
    await store.append('order-0', [{ type: 'OrderPlaced', data: {} }]);
    const events = Array.from({ length: 250 }, (_, i) => ({
      id: newEventId(),
      type: 'ItemAdded',
      data: { i },
    }));
    const result = await store.append('order-4', events, { expectedVersion: 0 });
    expect(result).toEqual({ nextExpectedVersion: 250, position: 251n });
    const read = await store.readStream('order-4');
    expect(read.events.map((e) => [e.id, e.version, e.position, (e.data as { i: number }).i])).toEqual(
      events.map((e, i) => [e.id, i + 1, BigInt(i + 2), i]),
    );
    expect(await store.append('order-4', events, { expectedVersion: 0 })).toEqual(result);
    expect((await store.readAll({ limit: 1000 })).events).toHaveLength(251);
  });

  it('the database itself refuses a second row with a stored event id', async () => {
    open();
    const id = newEventId();
    await store.append('order-2', [{ id, type: 'OrderPlaced', data: {} }]);
    const insert = store.database.prepare(
      `INSERT INTO factum_events (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
       VALUES (?, 'order-3', 1, 'order', 'OrderPlaced', 1, '{}', '{}', 0)`,
    );
    expect(() => insert.run(id)).toThrow(/UNIQUE constraint failed: factum_events\.event_id/);
    expect((await store.readAll()).events.map((e) => e.streamId)).toEqual(['order-2']);
  });
});
