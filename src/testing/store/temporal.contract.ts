import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../core/store.js';
import { sleep } from '../helpers.js';
import { ev, placed, type StoreFactory } from './fixtures.js';

/** Temporal reads: a stream as it was at a time and at a version. */
export function describeTemporalReads(factory: StoreFactory): void {
  describe('temporal reads', () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('reads a stream as it was at a time and at a version', async () => {
      await store.append('order-70', [placed(70)]);
      await sleep(25);
      const between = new Date();
      await sleep(25);
      await store.append('order-70', [ev('ItemAdded', { sku: 'b' }), ev('Shipped', {})]);
      const then = await store.readStream('order-70', { until: between });
      expect(then.events.map((e) => e.type)).toEqual(['OrderPlaced']);
      const atV2 = await store.readStream('order-70', { toVersion: 2 });
      expect(atV2.events.map((e) => e.type)).toEqual(['OrderPlaced', 'ItemAdded']);
      const beforeAll = await store.readStream('order-70', { until: new Date(between.getTime() - 10_000) });
      expect(beforeAll.events).toEqual([]);
    });
  });
}
