import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../core/envelope.js';
import { newEventId } from '../../core/ids.js';
import type { EventStore } from '../../core/store.js';
import { range } from '../helpers.js';
import { ev, placed, type StoreFactory, UUID_V7 } from './fixtures.js';

/** Append and readStream: what a stored event carries, stream reads, stream ids and types as data, immutability. */
export function describeAppendAndRead(factory: StoreFactory): void {
  describe('append and readStream', () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores events with versions, category, positions, ids, timestamps and metadata', async () => {
      const before = Date.now();
      const result = await store.append('order-1', [
        placed(1, { correlationId: 'c-1', userId: 'alice' }),
        ev('ItemAdded', { sku: 'a' }),
      ]);
      const after = Date.now();
      expect(result.nextExpectedVersion).toBe(2);
      const { events, version, exists } = await store.readStream('order-1');
      expect(exists).toBe(true);
      expect(version).toBe(2);
      expect(events.map((e) => [e.type, e.version, e.streamId, e.category])).toEqual([
        ['OrderPlaced', 1, 'order-1', 'order'],
        ['ItemAdded', 2, 'order-1', 'order'],
      ]);
      const [first, second] = events as [StoredEvent, StoredEvent];
      expect(first.id).toMatch(UUID_V7);
      expect(first.id).not.toBe(second.id);
      expect(typeof first.position).toBe('bigint');
      expect(second.position).toBeGreaterThan(first.position);
      expect(result.position).toBe(second.position);
      expect(first.schemaVersion).toBe(1);
      expect(first.data).toEqual({ orderId: 1, total: 4999, items: [{ sku: 'a', qty: 2 }], note: null });
      expect(first.metadata).toEqual({ correlationId: 'c-1', userId: 'alice' });
      expect(second.metadata).toEqual({});
      expect(first.timestamp).toBeInstanceOf(Date);
      expect(first.timestamp.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect(first.timestamp.getTime()).toBeLessThanOrEqual(after + 1);
    });

    it('keeps a caller-given id and schemaVersion, and a stream id without a dash is its own category', async () => {
      const id = newEventId();
      await store.append('inventory', [{ type: 'StockCounted', data: { n: 3 }, id, schemaVersion: 3 }]);
      const [event] = (await store.readStream('inventory')).events;
      expect(event).toMatchObject({ id, schemaVersion: 3, category: 'inventory' });
    });

    it('reports a missing stream as empty, version 0, not existing', async () => {
      expect(await store.readStream('order-missing')).toEqual({ events: [], version: 0, exists: false });
    });

    it('reads from a version, to a version, backward and with a limit', async () => {
      await store.append(
        'order-2',
        range(1, 6).map((n) => ev('Step', { n })),
      );
      const ns = async (o: Parameters<EventStore['readStream']>[1]) =>
        (await store.readStream('order-2', o)).events.map((e) => (e.data as { n: number }).n);
      expect(await ns({ fromVersion: 3 })).toEqual([3, 4, 5, 6]);
      expect(await ns({ toVersion: 2 })).toEqual([1, 2]);
      expect(await ns({ fromVersion: 2, toVersion: 4 })).toEqual([2, 3, 4]);
      expect(await ns({ direction: 'backward' })).toEqual([6, 5, 4, 3, 2, 1]);
      expect(await ns({ direction: 'backward', fromVersion: 4, limit: 2 })).toEqual([4, 3]);
      expect(await ns({ limit: 2 })).toEqual([1, 2]);
      expect((await store.readStream('order-2', { toVersion: 2 })).version).toBe(6);
    });

    it('treats stream ids as data: quotes, SQL fragments and unicode round-trip', async () => {
      const ids = ["o'rder-1", 'order-"x"', "order-1'; DROP TABLE factum_events; --", 'заказ-7', 'order-🚀'];
      for (const id of ids) await store.append(id, [ev('Type\'With"Quotes', { s: "it's" })]);
      for (const id of ids) {
        const { events } = await store.readStream(id);
        expect(events.map((e) => [e.streamId, e.type, e.data])).toEqual([
          [id, 'Type\'With"Quotes', { s: "it's" }],
        ]);
      }
      expect((await store.readAll({ types: ['Type\'With"Quotes'] })).events).toHaveLength(ids.length);
    });

    it('keeps unpaired surrogates in data and metadata strings exactly, and surrogate pairs everywhere', async () => {
      const data = {
        high: 'a\uD800',
        low: '\uDFFFz',
        reversed: '\uDC00\uD800',
        pair: '🚀',
        'key\uDBFF': [1],
      };
      const metadata = { correlationId: 'c-\uD83D', extra: { lone: '\uDE80' } };
      await store.append('order-🚀', [{ type: 'Launched🚀', data, metadata }]);
      for (const event of [
        ...(await store.readStream('order-🚀')).events,
        ...(await store.readAll({ types: ['Launched🚀'], categories: ['order'] })).events,
      ]) {
        expect(event).toMatchObject({ streamId: 'order-🚀', type: 'Launched🚀', category: 'order' });
        expect(event.data).toEqual(data);
        expect(Object.keys(event.data as object)).toEqual(Object.keys(data));
        expect(event.metadata).toEqual(metadata);
      }
    });

    it('never lets a reader change a stored event', async () => {
      await store.append('order-3', [placed(3)]);
      const [event] = (await store.readStream('order-3')).events as [StoredEvent];
      try {
        (event.data as { total: number }).total = 0;
      } catch {
        // frozen: that is fine too
      }
      const [again] = (await store.readStream('order-3')).events as [StoredEvent];
      expect((again.data as { total: number }).total).toBe(4999);
    });
  });
}
