import {
  createMemoryStore,
  createSchemaRegistry,
  type EventStore,
  type StoredEvent,
  withSchemas,
} from 'factum';
import { logSource } from 'factum/follow';
import { createPostgresStore } from 'factum/postgres';
import { createSqliteStore, type SqliteEventStore } from 'factum/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../src/brokers/shared/cloudevents.js';
import { rawDataReadsOf, storedDataJson } from '../../src/core/stored-data.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';

const postgres = await probePostgres();
const nextSchema = schemaNamer('factum_rawreads');

const samples = [
  { orderId: 42, total: 49.99, lines: [{ sku: 'a-1', qty: 2 }], note: 'ünïcødé "quoted" \\ back, slash' },
  { big: 12345678901234567000, tiny: 1e-7, neg: -0.5, flags: [true, false, null], empty: {}, list: [] },
  { text: 'line\nbreak\ttab \u2028 \u0001 😀', 'key with space': 'a, b: c' },
];

const opened: EventStore[] = [];
afterAll(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function sqliteWith(data: readonly unknown[]): Promise<SqliteEventStore> {
  const store = createSqliteStore(':memory:');
  opened.push(store);
  for (const d of data) await store.append('order-1', [{ type: 'OrderPlaced', data: d }]);
  return store;
}

/** The raw reads' events are the eager ones, data parsed lazily; a spread copies the data. */
async function expectSameAsEager(store: EventStore) {
  const eager = (await store.readAll()).events;
  const raw = (await rawDataReadsOf(store)!.readAll()).events;
  expect(raw).toHaveLength(samples.length);
  for (let i = 0; i < raw.length; i++) {
    const event = raw[i]!;
    expect(storedDataJson(event)).toBe(JSON.stringify(samples[i]));
    expect(storedDataJson(eager[i]!)).toBeUndefined();
    expect(event).toEqual(eager[i]);
    expect(event.data).toBe(event.data); // parsed once
    const copy = { ...event };
    expect(Object.getOwnPropertyDescriptor(copy, 'data')).toHaveProperty('value');
    expect(copy).toEqual(eager[i]);
    expect(storedDataJson(copy)).toBeUndefined();
  }
}

const pgPool = postgres.available ? testPool() : undefined;

describe('the stores’ reads with stored data JSON (the event-log relay’s)', () => {
  it('SQLite: parse lazily to data deep-equal to the eager read, and a spread copies it', async () => {
    const store = await sqliteWith(samples);
    await expectSameAsEager(store);
  });

  it.skipIf(!postgres.available)('PostgreSQL: the same', async () => {
    const { pool, dropLater } = pgPool!;
    const schema = nextSchema();
    dropLater(schema);
    const store = await createPostgresStore({ pool, schema, migrate: true });
    opened.push(store);
    for (const d of samples) await store.append('order-1', [{ type: 'OrderPlaced', data: d }]);
    await expectSameAsEager(store);
    // Live subscription pages too.
    const seen: StoredEvent[] = [];
    const subscription = rawDataReadsOf(store)!.subscribe({}, (event) => {
      seen.push(event);
    });
    await store.append('order-2', [{ type: 'OrderShipped', data: { live: true } }]);
    await expect.poll(() => seen.length).toBe(samples.length + 1);
    await subscription.unsubscribe();
    expect(storedDataJson(seen.at(-1)!)).toBe('{"live":true}');
  });

  it('withSchemas: an upcast event is a new object without the stored text; the others keep it', async () => {
    const inner = await sqliteWith([]);
    await inner.append('order-1', [
      { type: 'OrderPlaced', data: { total: 10 }, schemaVersion: 1 },
      { type: 'OrderShipped', data: { carrier: 'dhl' } },
    ]);
    const registry = createSchemaRegistry()
      .register({ type: 'OrderPlaced', version: 1, schema: { type: 'object' } })
      .register({ type: 'OrderPlaced', version: 2, schema: { type: 'object' } })
      .upcaster({
        type: 'OrderPlaced',
        fromVersion: 1,
        toVersion: 2,
        upcast: (data: { total: number }) => ({ amount: { value: data.total, currency: 'EUR' } }),
      });
    const store = withSchemas(inner, registry);
    const reads = rawDataReadsOf(store);
    expect(reads).toBeDefined();
    const [placed, shipped] = (await reads!.readAll()).events;
    expect(placed!.schemaVersion).toBe(2);
    expect(storedDataJson(placed!)).toBeUndefined();
    expect(encodeEvent(placed!, '/t').body.toString('utf8')).toBe('{"amount":{"value":10,"currency":"EUR"}}');
    expect(storedDataJson(shipped!)).toBe('{"carrier":"dhl"}');
    // Live subscription pages go through the same reads.
    const seen: StoredEvent[] = [];
    const subscription = reads!.subscribe({}, (event) => {
      seen.push(event);
    });
    await expect.poll(() => seen.length).toBe(2);
    await subscription.unsubscribe();
    expect(storedDataJson(seen[0]!)).toBeUndefined();
    expect(seen[0]!.data).toEqual({ amount: { value: 10, currency: 'EUR' } });
    expect(storedDataJson(seen[1]!)).toBe('{"carrier":"dhl"}');
  });

  it('logSource reads them only when asked, and only from a store that offers them', async () => {
    const store = await sqliteWith([{ n: 1 }]);
    const read = async (source: ReturnType<typeof logSource>) => (await source.read(0n, 10)).events[0]!;
    expect(storedDataJson(await read(logSource(store, { rawData: true })))).toBe('{"n":1}');
    expect(storedDataJson(await read(logSource(store)))).toBeUndefined();
    // A wrapper that forwards to the store (here a Proxy that changes readAll) is read through its own readAll.
    const wrapped = new Proxy(store, {
      get(target, key) {
        if (key === 'readAll') {
          return async (o: Parameters<SqliteEventStore['readAll']>[0]) => {
            const page = await target.readAll(o);
            return { ...page, events: page.events.map((e) => ({ ...e, data: { wrapped: true } })) };
          };
        }
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    expect(rawDataReadsOf(wrapped)).toBeUndefined();
    const viaWrapper = await read(logSource(wrapped, { rawData: true }));
    expect(viaWrapper.data).toEqual({ wrapped: true });
    expect(encodeEvent(viaWrapper, '/t').body.toString('utf8')).toBe('{"wrapped":true}');
    // The memory store has no such reads: plain readAll.
    const memory = createMemoryStore();
    await memory.append('order-1', [{ type: 'OrderPlaced', data: { n: 2 } }]);
    expect(rawDataReadsOf(memory)).toBeUndefined();
    const fromMemory = await read(logSource(memory, { rawData: true }));
    expect(storedDataJson(fromMemory)).toBeUndefined();
    expect(encodeEvent(fromMemory, '/t').body.toString('utf8')).toBe('{"n":2}');
  });
});
