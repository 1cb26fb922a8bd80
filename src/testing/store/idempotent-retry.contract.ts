import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../core/store.js';
import { ev, expectDuplicate, placed, type StoreFactory, withId } from './fixtures.js';

/** Idempotent retry: the same ids as the stream's tail return the original result; ids stored elsewhere are refused. */
export function describeIdempotentRetry(factory: StoreFactory): void {
  describe('idempotent retry', () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('appending the same ids again returns the original result and writes nothing', async () => {
      const batch = [withId(placed(30)), withId(ev('ItemAdded', { sku: 'x' }))];
      const first = await store.append('order-30', batch, { expectedVersion: 'no_stream' });
      const retry = await store.append('order-30', batch, { expectedVersion: 'no_stream' });
      const retryAny = await store.append('order-30', batch);
      expect(retry).toEqual(first);
      expect(retryAny).toEqual(first);
      expect((await store.readAll()).events).toHaveLength(2);
    });

    it('refuses ids that are stored but not as the tail of this stream, writing nothing', async () => {
      const a = withId(placed(31));
      const b = withId(ev('ItemAdded', {}));
      await store.append('order-31', [a, b]);
      await expectDuplicate(store.append('order-32', [a]), a.id);
      await expectDuplicate(store.append('order-31', [b, a]), b.id);
      await expectDuplicate(store.append('order-31', [a]), a.id);
      await expectDuplicate(store.append('order-31', [b, withId(ev('Shipped', {}))]), b.id);
      await store.append('order-31', [ev('Shipped', {})]);
      await expectDuplicate(store.append('order-31', [a, b]), a.id);
      expect((await store.readAll()).events).toHaveLength(3);
    });
  });
}
