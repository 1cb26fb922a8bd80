import { join } from 'node:path';
import amqplib from 'amqplib';
import Database from 'better-sqlite3';
import {
  createSchemaRegistry,
  type EventStore,
  newEventId,
  type SchemaAwareStore,
  type StoredEvent,
  withSchemas,
} from 'factum';
import { type FollowStorage, sqliteFollowStorage } from 'factum/follow';
import { type Broker, eventLogSource, startRelay } from 'factum/messaging';
import { createPostgresStore } from 'factum/postgres';
import { createRabbitMqBroker, type RabbitMqBroker } from 'factum/rabbitmq';
import { createSqliteStore, type SqliteEventStore } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { storedDataJson } from '../../src/core/stored-data.js';
import { destroyNamespace, probeBrokers, uniqueName } from '../support/brokers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { services } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const available = await probeBrokers();
const postgres = await probePostgres();
const nextSchema = schemaNamer('factum_rawjson');
const dir = tempDir('factum-relay-json-');

/** Data of every kind JSON has, in shapes a parse → stringify would not keep byte for byte. */
const samples: unknown[] = [
  { orderId: 42, total: 49.99, lines: [{ sku: 'a-1', qty: 2 }], note: 'ünïcødé "quoted" \\ a, b: c' },
  { big: 12345678901234567000, tiny: 1e-7, neg: -0.5, flags: [true, false, null], empty: {}, list: [] },
  { text: 'line\nbreak\ttab \u2028 \u0001 😀 \u0000', 'key with space': 'x' },
];
/** Stored as the text a writer other than Factum's own might leave: spaces, 1.0, 2e3, escapes. */
const FOREIGN_JSON = '{ "b" : [1.0, 2e3, "\\u00e9"],\n  "a": {"x": true} }';

/** Every message the relay sends to `exchange`, read raw (body bytes as sent), in order. */
async function tap(exchange: string) {
  const conn = await amqplib.connect(services.amqp);
  const channel = await conn.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, '#');
  const bodies = new Map<string, string>();
  await channel.consume(
    queue,
    (message) => {
      if (message !== null)
        bodies.set(String(message.properties.messageId), message.content.toString('utf8'));
    },
    { noAck: true },
  );
  return { bodies, close: () => conn.close() };
}

interface Harness {
  /** Appends the samples and, where possible, a row written with FOREIGN_JSON as its data. */
  seed(): Promise<void>;
  /** event id → the data column's text, read from the database itself. */
  storedTexts(): Promise<Map<string, string>>;
}

/**
 * Relays `store`'s log to RabbitMQ (a consumer group beside a raw tap); checks that every body on
 * the wire is the stored text, and that the consumer decodes each to the data readAll returns.
 */
async function relayAndCompare(
  store: EventStore,
  harness: Harness,
  expectedBody: (event: StoredEvent, stored: string) => string = (_, stored) => stored,
  storage?: FollowStorage,
) {
  const exchange = uniqueName('rawjson');
  const broker = (await createRabbitMqBroker({
    url: services.amqp,
    exchange,
    connectionName: exchange,
  })) as RabbitMqBroker;
  const consumed = new Map<string, StoredEvent>();
  await broker.declareGroup({ group: 'g' });
  const wire = await tap(exchange);
  const consumer = await broker.consume({ group: 'g' }, (event) => {
    consumed.set(event.id, event);
  });
  try {
    await harness.seed();
    const relay = startRelay({
      source: eventLogSource(store, { name: exchange, ...(storage === undefined ? {} : { storage }) }),
      broker: broker as Broker,
    });
    const all = (await store.readAll()).events;
    await waitFor(
      'every event consumed',
      () => consumed.size === all.length && wire.bodies.size === all.length,
      10_000,
    );
    // Live: appended after the relay caught up, relayed from the subscription.
    const live = await store.append('order-live', [{ type: 'OrderPlaced', data: { live: 'yes', n: 1.5 } }]);
    await waitFor('the live event consumed', () => consumed.size === all.length + 1, 10_000);
    await relay.stop();
    const events = (await store.readAll()).events;
    expect(events.at(-1)!.position).toBe(live.position);
    const stored = await harness.storedTexts();
    for (const event of events) {
      const body = wire.bodies.get(event.id);
      expect(stored.has(event.id)).toBe(true);
      expect(body).toBe(expectedBody(event, stored.get(event.id)!));
      // The consumer decodes the body to the data readAll (parsed eagerly) gives.
      expect(consumed.get(event.id)!.data).toEqual(event.data);
      expect(consumed.get(event.id)!.schemaVersion).toBe(event.schemaVersion);
    }
    return { events, stored, bodies: wire.bodies };
  } finally {
    await consumer.stop();
    await wire.close();
    await broker.close();
    await destroyNamespace('rabbitmq', exchange, ['g']);
  }
}

function sqliteHarness(file: string, store: EventStore, foreign: boolean): Harness {
  return {
    async seed() {
      for (const data of samples) await store.append('order-1', [{ type: 'OrderPlaced', data }]);
      if (!foreign) return;
      const db = new Database(file);
      try {
        db.prepare(
          `INSERT INTO factum_events (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
           VALUES (?, 'order-2', 1, 'order', 'OrderPlaced', 1, ?, '{"correlationId":"c-9"}', ?)`,
        ).run(newEventId(), FOREIGN_JSON, Date.now());
      } finally {
        db.close();
      }
    },
    async storedTexts() {
      const db = new Database(file, { readonly: true });
      try {
        const rows = db.prepare('SELECT event_id, data FROM factum_events').all() as {
          event_id: string;
          data: string;
        }[];
        return new Map(rows.map((r) => [r.event_id, r.data]));
      } finally {
        db.close();
      }
    },
  };
}

describe.skipIf(!available.rabbitmq)('the relay sends each event’s data JSON as stored', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const store of opened) await store.close();
  });

  it('SQLite file → RabbitMQ: every body is the stored text, byte for byte; consumers decode it as readAll does', async () => {
    const file = join(dir, 'sqlite-rabbit.db');
    const store: SqliteEventStore = createSqliteStore(file);
    opened.push(store);
    const { events, stored, bodies } = await relayAndCompare(store, sqliteHarness(file, store, true));
    // The row written with spaces and 1.0 went out as written: nothing parsed and re-encoded it.
    const foreign = events.find((e) => e.streamId === 'order-2')!;
    expect(stored.get(foreign.id)).toBe(FOREIGN_JSON);
    expect(bodies.get(foreign.id)).toBe(FOREIGN_JSON);
    expect(JSON.stringify(foreign.data)).not.toBe(FOREIGN_JSON);
  });

  it('withSchemas over SQLite: an upcast event goes out upcast, the others as stored', async () => {
    const file = join(dir, 'sqlite-schemas.db');
    const inner = createSqliteStore(file);
    opened.push(inner);
    const registry = createSchemaRegistry()
      .register({ type: 'OrderPlaced', version: 1, schema: { type: 'object' } })
      .register({ type: 'OrderPlaced', version: 2, schema: { type: 'object' } })
      .upcaster({
        type: 'OrderPlaced',
        fromVersion: 1,
        toVersion: 2,
        upcast: (data: Record<string, unknown>) => ({ v2: true, was: data }),
      });
    const store: SchemaAwareStore = withSchemas(inner, registry);
    const upcastIds = new Set<string>();
    const harness: Harness = {
      async seed() {
        // Stored at v1 through the inner store: upcast on every read of the wrapper.
        for (const data of samples) {
          const { position } = await inner.append('order-1', [
            { type: 'OrderPlaced', data, schemaVersion: 1 },
          ]);
          upcastIds.add((await inner.readAll({ after: position - 1n, limit: 1 })).events[0]!.id);
        }
        await inner.append('order-2', [{ type: 'OrderShipped', data: { carrier: 'dhl', at: 1.0 } }]);
      },
      storedTexts: sqliteHarness(file, inner, false).storedTexts,
    };
    const { events, stored } = await relayAndCompare(
      store,
      harness,
      (event, text) => (upcastIds.has(event.id) ? JSON.stringify(event.data) : text),
      sqliteFollowStorage(inner),
    );
    expect(upcastIds.size).toBe(samples.length);
    for (const event of events) {
      if (!upcastIds.has(event.id)) continue;
      // Sent upcast (the wrapper's data, schema version 2), not the v1 text stored.
      expect(event.schemaVersion).toBe(2);
      expect(event.data).toEqual({ v2: true, was: JSON.parse(stored.get(event.id)!) });
    }
  }, 30_000);
});

describe.skipIf(!available.rabbitmq || !postgres.available)(
  'PostgreSQL: the relay sends the json column’s text',
  () => {
    const { pool, dropLater } = testPool();

    function postgresHarness(schema: string, store: EventStore): Harness {
      const table = `"${schema}".factum_events`;
      return {
        async seed() {
          for (const data of samples) await store.append('order-1', [{ type: 'OrderPlaced', data }]);
          const client: pg.PoolClient = await pool.connect();
          try {
            await client.query('BEGIN');
            await client.query(
              `INSERT INTO ${table} (position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
             VALUES (pg_current_xact_id()::text::bigint * 65536 + 1, $1, 'order-2', 1, 'order', 'OrderPlaced', 1, $2::json, '{"correlationId":"c-9"}', now())`,
              [newEventId(), FOREIGN_JSON],
            );
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        },
        async storedTexts() {
          const result = await pool.query<{ id: string; data: string }>(
            `SELECT event_id::text AS id, data::text AS data FROM ${table}`,
          );
          return new Map(result.rows.map((r) => [r.id, r.data]));
        },
      };
    }

    it('every body is the stored text, byte for byte; consumers decode it as readAll does', async () => {
      const schema = nextSchema();
      dropLater(schema);
      const store = await createPostgresStore({ pool, schema, migrate: true });
      try {
        const { events, stored, bodies } = await relayAndCompare(store, postgresHarness(schema, store));
        const foreign = events.find((e) => e.streamId === 'order-2')!;
        expect(stored.get(foreign.id)).toBe(FOREIGN_JSON);
        expect(bodies.get(foreign.id)).toBe(FOREIGN_JSON);
        expect(foreign.data).toEqual({ b: [1, 2000, 'é'], a: { x: true } });
        // The relay's reads, catch-up and live, keep the text; readAll's events do not.
        const [first] = (await store.readAll({ limit: 1 })).events;
        expect(storedDataJson(first!)).toBeUndefined();
      } finally {
        await store.close();
      }
    }, 30_000);
  },
);
