import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, StoreClosedError } from '../../core/errors.js';
import type { EventStore } from '../../core/store.js';
import { placed, type StoreFactory } from './fixtures.js';

/** Close: a closed store refuses work and stops its subscriptions. */
export function describeClose(factory: StoreFactory): void {
  describe('close', () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('refuses work after close', async () => {
      const sub = store.subscribe({}, () => {});
      await store.close();
      await sub.done;
      await expect(store.append('order-90', [placed(90)])).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.readAll()).rejects.toMatchObject({ code: ErrorCodes.STORE_CLOSED });
      await store.close();
    });
  });
}
