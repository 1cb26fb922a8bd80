import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../core/errors.js';
import type { EventStore } from '../../core/store.js';
import { range } from '../helpers.js';
import { ev, expectConflict, placed, type StoreFactory } from './fixtures.js';

/** Optimistic concurrency: every expected-version form, one winner among concurrent appends, atomic appends. */
export function describeConcurrency(factory: StoreFactory): void {
  describe('optimistic concurrency', () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it("'no_stream' and 0 accept only a new stream", async () => {
      await store.append('order-10', [placed(10)], { expectedVersion: 'no_stream' });
      await store.append('order-11', [placed(11)], { expectedVersion: 0 });
      await expectConflict(store.append('order-10', [placed(10)], { expectedVersion: 'no_stream' }), {
        streamId: 'order-10',
        expected: 'no_stream',
        actual: 1,
      });
      await expectConflict(store.append('order-11', [placed(11)], { expectedVersion: 0 }), {
        streamId: 'order-11',
        expected: 0,
        actual: 1,
      });
      expect((await store.readStream('order-10')).version).toBe(1);
    });

    it('an exact version must match the current one', async () => {
      await store.append('order-12', [placed(12), ev('ItemAdded', {})]);
      await expectConflict(store.append('order-12', [ev('Shipped', {})], { expectedVersion: 1 }), {
        streamId: 'order-12',
        expected: 1,
        actual: 2,
      });
      await expectConflict(store.append('order-13', [ev('Shipped', {})], { expectedVersion: 1 }), {
        streamId: 'order-13',
        expected: 1,
        actual: 0,
      });
      const ok = await store.append('order-12', [ev('Shipped', {})], { expectedVersion: 2 });
      expect(ok.nextExpectedVersion).toBe(3);
      expect((await store.readAll()).events).toHaveLength(3);
    });

    it("'stream_exists' needs the stream, 'any' accepts everything", async () => {
      await expectConflict(store.append('order-14', [placed(14)], { expectedVersion: 'stream_exists' }), {
        streamId: 'order-14',
        expected: 'stream_exists',
        actual: 0,
      });
      await store.append('order-14', [placed(14)], { expectedVersion: 'any' });
      await store.append('order-14', [ev('Shipped', {})], { expectedVersion: 'stream_exists' });
      await store.append('order-14', [ev('Delivered', {})]);
      expect((await store.readStream('order-14')).version).toBe(3);
    });

    it('of N concurrent appends at one expected version exactly one wins', async () => {
      await store.append('order-20', [placed(20)]);
      const n = 12;
      const results = await Promise.allSettled(
        range(1, n).map((i) =>
          store.append('order-20', [ev('ItemAdded', { writer: i }), ev('ItemPriced', { writer: i })], {
            expectedVersion: 1,
          }),
        ),
      );
      const wins = results.filter((r) => r.status === 'fulfilled');
      const losses = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(wins).toHaveLength(1);
      expect(losses).toHaveLength(n - 1);
      for (const loss of losses) {
        expect(loss.reason).toBeInstanceOf(ConcurrencyError);
        expect(loss.reason).toMatchObject({
          streamId: 'order-20',
          expected: 1,
          actual: 3,
          retriable: true,
        });
      }
      const { events } = await store.readStream('order-20');
      expect(events).toHaveLength(3);
      const writers = new Set(events.slice(1).map((e) => (e.data as { writer: number }).writer));
      expect(writers.size).toBe(1);
    });

    it('an append of several events is atomic, and contiguous in the global log', async () => {
      await store.append('order-21', [placed(21)]);
      await expectConflict(
        store.append('order-21', [ev('A', {}), ev('B', {}), ev('C', {})], { expectedVersion: 0 }),
        { streamId: 'order-21', expected: 0, actual: 1 },
      );
      expect((await store.readAll()).events).toHaveLength(1);
      await Promise.all(
        range(1, 10).map((i) =>
          store.append(
            `batch-${i}`,
            range(1, 5).map((n) => ev('Step', { i, n })),
          ),
        ),
      );
      const all = (await store.readAll()).events.slice(1);
      expect(all).toHaveLength(50);
      for (let k = 0; k < all.length; k += 5) {
        const group = all.slice(k, k + 5);
        expect(new Set(group.map((e) => e.streamId)).size).toBe(1);
        expect(group.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
      }
    });
  });
}
