import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandHandler } from '../../core/command-handler.js';
import type { Decider } from '../../core/decider.js';
import type { StoredEvent } from '../../core/envelope.js';
import {
  SchemaValidationError,
  SubscriptionHandlerError,
  UnknownEventTypeError,
  UpcastChainBrokenError,
} from '../../core/errors.js';
import { createSchemaRegistry, type SchemaRegistry } from '../../core/schema-registry.js';
import { snapshotsOf } from '../../core/snapshot.js';
import type { EventStore } from '../../core/store.js';
import { withSchemas } from '../../core/with-schemas.js';
import { waitUntil } from '../helpers.js';
import { type CommandSideStoreFactory, rejection } from './fixtures.js';

const placedV1 = {
  type: 'object',
  properties: { orderId: { type: 'string' }, total: { type: 'integer', minimum: 0 } },
  required: ['orderId', 'total'],
  additionalProperties: false,
};
const placedV2 = {
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    total: { type: 'integer', minimum: 0 },
    currency: { type: 'string', enum: ['USD', 'EUR'], default: 'USD' },
  },
  required: ['orderId', 'total', 'currency'],
  additionalProperties: false,
};
const placedV3 = {
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    amount: {
      type: 'object',
      properties: { value: { type: 'integer' }, currency: { type: 'string' } },
      required: ['value', 'currency'],
    },
  },
  required: ['orderId', 'amount'],
};

/** OrderPlaced v1 → v2 (currency defaults to USD) → v3 (total and currency move into amount). */
export function orderRegistry(options: { strict?: boolean; withV3?: boolean } = {}): SchemaRegistry {
  const registry = createSchemaRegistry({ strict: options.strict ?? false })
    .register({ type: 'OrderPlaced', category: 'order', version: 1, schema: placedV1 })
    .register({ type: 'OrderPlaced', version: 2, schema: placedV2 })
    .upcaster({
      type: 'OrderPlaced',
      fromVersion: 1,
      toVersion: 2,
      upcast: (data) => ({ ...data, currency: 'USD' }),
    })
    .register({
      type: 'OrderShipped',
      category: 'order',
      version: 1,
      schema: { type: 'object', properties: { carrier: { type: 'string' } }, required: ['carrier'] },
    });
  if (options.withV3 === true) {
    registry.register({ type: 'OrderPlaced', version: 3, schema: placedV3 }).upcaster({
      type: 'OrderPlaced',
      fromVersion: 2,
      toVersion: 3,
      upcast: (data) => {
        const { total, currency, ...rest } = data;
        return { ...rest, amount: { value: total, currency } };
      },
    });
  }
  return registry;
}

/** Schema registry and upcasting through withSchemas(store, registry). */
export function describeSchemas(factory: CommandSideStoreFactory): void {
  describe('schema registry and upcasting', () => {
    let inner: EventStore;
    beforeEach(async () => {
      inner = await factory();
    });
    afterEach(async () => {
      await inner.close();
    });

    it('validates appends and stamps the current schema version', async () => {
      const store = withSchemas(inner, orderRegistry());
      await store.append('order-r1', [
        { type: 'OrderPlaced', data: { orderId: 'r1', total: 10, currency: 'EUR' } },
        { type: 'OrderShipped', data: { carrier: 'dhl' } },
      ]);
      const { events } = await inner.readStream('order-r1');
      expect(events.map((e) => [e.type, e.schemaVersion])).toEqual([
        ['OrderPlaced', 2],
        ['OrderShipped', 1],
      ]);
    });

    it('rejects invalid data with every violation of every event, and writes nothing', async () => {
      const store = withSchemas(inner, orderRegistry());
      const error = await rejection(
        store.append('order-r2', [
          { type: 'OrderPlaced', data: { orderId: 7, total: -1, currency: 'GBP', extra: true } },
          { type: 'OrderShipped', data: {} },
          { type: 'Unregistered', data: { anything: 1 } },
        ]),
      );
      expect(error).toBeInstanceOf(SchemaValidationError);
      const { violations, streamId, code } = error as SchemaValidationError;
      expect(code).toBe('FACTUM_SCHEMA_VALIDATION');
      expect(streamId).toBe('order-r2');
      expect(violations.map((v) => [v.index, v.type, v.schemaVersion, v.path]).sort()).toEqual(
        [
          [0, 'OrderPlaced', 2, ''],
          [0, 'OrderPlaced', 2, '/currency'],
          [0, 'OrderPlaced', 2, '/orderId'],
          [0, 'OrderPlaced', 2, '/total'],
          [1, 'OrderShipped', 1, ''],
        ].sort(),
      );
      expect((error as Error).message).toContain("must NOT have additional properties: 'extra'");
      expect((error as Error).message).toContain('"USD", "EUR"');
      expect((error as Error).message).toContain("must have required property 'carrier'");
      expect((await inner.readAll()).events).toEqual([]);
    });

    it('validates an explicit older schemaVersion against that version, and refuses an unknown one', async () => {
      const store = withSchemas(inner, orderRegistry());
      await store.append('order-r3', [
        { type: 'OrderPlaced', schemaVersion: 1, data: { orderId: 'r3', total: 1 } },
      ]);
      expect((await inner.readStream('order-r3')).events[0]!.schemaVersion).toBe(1);
      const error = await rejection(
        store.append('order-r3', [
          { type: 'OrderPlaced', schemaVersion: 9, data: { orderId: 'r3', total: 1 } },
        ]),
      );
      expect((error as SchemaValidationError).violations[0]!.message).toContain(
        'schema version 9 is not registered (registered: 1, 2)',
      );
    });

    it('passes unregistered types unless the registry is strict', async () => {
      const lenient = withSchemas(inner, orderRegistry());
      await lenient.append('misc-r4', [{ type: 'Unregistered', data: { x: 1 } }]);
      expect((await inner.readStream('misc-r4')).events[0]!.schemaVersion).toBe(1);
      const strict = withSchemas(inner, orderRegistry({ strict: true }));
      const error = await rejection(strict.append('misc-r4', [{ type: 'Unregistered', data: { x: 2 } }]));
      expect(error).toBeInstanceOf(UnknownEventTypeError);
      expect(error).toMatchObject({
        code: 'FACTUM_UNKNOWN_EVENT_TYPE',
        type: 'Unregistered',
        streamId: 'misc-r4',
      });
      expect((await inner.readStream('misc-r4')).version).toBe(1);
    });

    it('upcasts old events in a chain on readStream, readAll and subscribe, and never changes what is stored', async () => {
      // Events written before the registry knew v2 and v3.
      await inner.append('order-r5', [
        { type: 'OrderPlaced', schemaVersion: 1, data: { orderId: 'r5', total: 30 } },
        { type: 'OrderShipped', data: { carrier: 'ups' } },
      ]);
      await inner.append('order-r6', [
        { type: 'OrderPlaced', schemaVersion: 2, data: { orderId: 'r6', total: 40, currency: 'EUR' } },
      ]);
      const store = withSchemas(inner, orderRegistry({ withV3: true }));
      const expected = [
        {
          streamId: 'order-r5',
          schemaVersion: 3,
          data: { orderId: 'r5', amount: { value: 30, currency: 'USD' } },
        },
        { streamId: 'order-r5', schemaVersion: 1, data: { carrier: 'ups' } },
        {
          streamId: 'order-r6',
          schemaVersion: 3,
          data: { orderId: 'r6', amount: { value: 40, currency: 'EUR' } },
        },
      ];
      const pick = (e: StoredEvent) => ({
        streamId: e.streamId,
        schemaVersion: e.schemaVersion,
        data: e.data,
      });
      const r5 = (await store.readStream('order-r5')).events.map(pick);
      const r6 = (await store.readStream('order-r6')).events.map(pick);
      expect([...r5, ...r6]).toEqual(expected);
      expect((await store.readAll()).events.map(pick)).toEqual(expected);
      const seen: StoredEvent[] = [];
      const sub = store.subscribe({}, (e) => {
        seen.push(e);
      });
      await waitUntil(() => seen.length === 3);
      await sub.unsubscribe();
      expect(seen.map(pick)).toEqual(expected);
      // The stored rows are as written.
      const raw = (await inner.readAll()).events.map(pick);
      expect(raw).toEqual([
        { streamId: 'order-r5', schemaVersion: 1, data: { orderId: 'r5', total: 30 } },
        { streamId: 'order-r5', schemaVersion: 1, data: { carrier: 'ups' } },
        { streamId: 'order-r6', schemaVersion: 2, data: { orderId: 'r6', total: 40, currency: 'EUR' } },
      ]);
    });

    it('fails with a clear error naming the type and versions when an upcaster step is missing', async () => {
      await inner.append('order-r7', [
        { type: 'OrderPlaced', schemaVersion: 1, data: { orderId: 'r7', total: 1 } },
      ]);
      const gap = createSchemaRegistry()
        .register({ type: 'OrderPlaced', version: 1, schema: placedV1 })
        .register({ type: 'OrderPlaced', version: 3, schema: placedV3 })
        .upcaster({ type: 'OrderPlaced', fromVersion: 2, toVersion: 3, upcast: (d) => d });
      const store = withSchemas(inner, gap);
      const error = await rejection(store.readStream('order-r7'));
      expect(error).toBeInstanceOf(UpcastChainBrokenError);
      expect(error).toMatchObject({
        code: 'FACTUM_UPCAST_CHAIN_BROKEN',
        type: 'OrderPlaced',
        storedVersion: 1,
        missingFrom: 1,
        targetVersion: 3,
      });
      expect((error as Error).message).toMatch(
        /OrderPlaced .* from schema v1 to v3: no upcaster registered from v1/,
      );
      await expect(store.readAll()).rejects.toBeInstanceOf(UpcastChainBrokenError);
      const sub = store.subscribe({}, () => {});
      const failure = await rejection(sub.done);
      expect(failure).toBeInstanceOf(SubscriptionHandlerError);
      expect((failure as Error).cause).toBeInstanceOf(UpcastChainBrokenError);
    });

    it('gives deciders upcast events and keeps the store’s snapshots reachable', async () => {
      await inner.append('order-r8', [
        { type: 'OrderPlaced', schemaVersion: 1, data: { orderId: 'r8', total: 5 } },
      ]);
      const store = withSchemas(inner, orderRegistry());
      expect(snapshotsOf(store)).toBe(snapshotsOf(inner));
      type Placed = { type: 'OrderPlaced'; data: { orderId: string; total: number; currency: string } };
      type Shipped = { type: 'OrderShipped'; data: { carrier: string } };
      const decider: Decider<
        { type: 'Ship'; carrier: string },
        Placed | Shipped,
        { currency?: string; shipped: boolean }
      > = {
        name: 'order',
        initialState: () => ({ shipped: false }),
        evolve: (state, event) =>
          event.type === 'OrderPlaced'
            ? { ...state, currency: event.data.currency }
            : { ...state, shipped: true },
        decide: (command, state) =>
          state.shipped ? [] : { type: 'OrderShipped', data: { carrier: command.carrier } },
        snapshot: { every: 2, schemaVersion: 1 },
      };
      const result = await commandHandler(store, decider)('order-r8', { type: 'Ship', carrier: 'dhl' });
      expect(result.state).toEqual({ currency: 'USD', shipped: true });
      expect(await snapshotsOf(store)!.load('order-r8', 'order')).toMatchObject({
        version: 2,
        state: { currency: 'USD' },
      });
      const invalid = await rejection(
        commandHandler(store, decider)('order-r9', { type: 'Ship', carrier: 42 as never }),
      );
      expect(invalid).toBeInstanceOf(SchemaValidationError);
      expect((await inner.readStream('order-r9')).exists).toBe(false);
    });
  });
}
