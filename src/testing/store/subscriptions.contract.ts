import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SubscriptionHandlerError } from '../../core/errors.js';
import type { EventStore } from '../../core/store.js';
import { range, sleep, waitUntil } from '../helpers.js';
import { ev, placed, type StoreFactory } from './fixtures.js';

/** Subscriptions: catch-up then live, resume, filters, a failing handler, unsubscribe from inside. */
export function describeSubscriptions(factory: StoreFactory): void {
  describe('subscribe', () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('catches up, goes live, resumes after a position and stops on unsubscribe', async () => {
      await store.append(
        'order-60',
        range(1, 5).map((n) => ev('Step', { n })),
      );
      const got: number[] = [];
      const sub = store.subscribe({}, (e) => {
        got.push((e.data as { n: number }).n);
      });
      await waitUntil(() => got.length === 5);
      await waitUntil(() => sub.status().state === 'live');
      await store.append(
        'order-60',
        range(6, 8).map((n) => ev('Step', { n })),
      );
      await waitUntil(() => got.length === 8);
      expect(got).toEqual(range(1, 8));
      expect(sub.status().position).toBe((await store.readStream('order-60')).events[7]!.position);
      await sub.unsubscribe();
      expect(sub.status().state).toBe('stopped');
      await store.append('order-60', [ev('Step', { n: 9 })]);
      await sleep(50);
      expect(got).toHaveLength(8);

      const third = (await store.readStream('order-60')).events[2]!;
      const resumed: number[] = [];
      const sub2 = store.subscribe({ after: third.position }, (e) => {
        resumed.push((e.data as { n: number }).n);
      });
      await waitUntil(() => resumed.length === 6);
      expect(resumed).toEqual([4, 5, 6, 7, 8, 9]);
      await sub2.unsubscribe();
    });

    it('delivers only the requested types and categories', async () => {
      const got: string[] = [];
      const sub = store.subscribe({ categories: ['payment'], types: ['PaymentReceived'] }, (e) => {
        got.push(e.streamId);
      });
      await store.append('order-61', [placed(61)]);
      await store.append('payment-61', [ev('PaymentReceived', {}), ev('PaymentRefunded', {})]);
      await store.append('payment-62', [ev('PaymentReceived', {})]);
      await waitUntil(() => got.length === 2);
      await sleep(30);
      expect(got).toEqual(['payment-61', 'payment-62']);
      await sub.unsubscribe();
    });

    it('stops at an event whose handler throws and reports it', async () => {
      await store.append(
        'order-62',
        range(1, 4).map((n) => ev('Step', { n })),
      );
      const seen: number[] = [];
      const errors: Error[] = [];
      const sub = store.subscribe({ onError: (e) => errors.push(e) }, (e) => {
        const { n } = e.data as { n: number };
        if (n === 3) throw new Error('boom');
        seen.push(n);
      });
      await expect(sub.done).rejects.toBeInstanceOf(SubscriptionHandlerError);
      expect(seen).toEqual([1, 2]);
      expect(sub.status().state).toBe('failed');
      expect(errors).toHaveLength(1);
      expect((errors[0]!.cause as Error).message).toBe('boom');
      const second = (await store.readStream('order-62')).events[1]!;
      expect(sub.status().position).toBe(second.position);
    });

    it('may be stopped from inside its own handler', async () => {
      await store.append(
        'order-63',
        range(1, 5).map((n) => ev('Step', { n })),
      );
      const seen: number[] = [];
      const sub = store.subscribe({}, async (e) => {
        seen.push((e.data as { n: number }).n);
        if (seen.length === 2) await sub.unsubscribe();
      });
      await sub.done;
      expect(seen).toEqual([1, 2]);
    });
  });
}
