import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../core/envelope.js';
import { ConcurrencyError } from '../../core/errors.js';
import type { ExpectedVersion } from '../../core/expected-version.js';
import type { EventStore } from '../../core/store.js';
import { range, waitUntil } from '../helpers.js';
import { ev, placed, type StoreContractOptions, type StoreFactory } from './fixtures.js';

/** The global log: readAll pages and filters, strictly increasing and gap-free under concurrent writers. */
export function describeGlobalLog(factory: StoreFactory, options: StoreContractOptions = {}): void {
  describe('global log', () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('readAll pages in position order and resumes from last', async () => {
      for (let i = 1; i <= 7; i++) await store.append(`order-${40 + (i % 3)}`, [ev('Step', { i })]);
      const seen: number[] = [];
      let after = 0n;
      for (;;) {
        const page = await store.readAll({ after, limit: 3 });
        if (page.events.length === 0) {
          expect(page.last).toBe(after);
          break;
        }
        seen.push(...page.events.map((e) => (e.data as { i: number }).i));
        expect(page.last).toBe(page.events.at(-1)!.position);
        after = page.last;
      }
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('readAll filters by type and by category', async () => {
      await store.append('order-50', [placed(50), ev('Shipped', {})]);
      await store.append('payment-50', [ev('PaymentReceived', {})]);
      await store.append('order-51', [placed(51)]);
      const types = (await store.readAll({ types: ['OrderPlaced', 'PaymentReceived'] })).events;
      expect(types.map((e) => e.streamId)).toEqual(['order-50', 'payment-50', 'order-51']);
      const cats = (await store.readAll({ categories: ['payment'] })).events;
      expect(cats.map((e) => e.type)).toEqual(['PaymentReceived']);
      const both = (await store.readAll({ categories: ['order'], types: ['Shipped'] })).events;
      expect(both.map((e) => e.streamId)).toEqual(['order-50']);
    });

    it('stays strictly increasing and gap-free while writers append concurrently and a subscriber tails', async () => {
      const writers = options.writers ?? 8;
      const appendsPerWriter = options.appendsPerWriter ?? 25;
      const received: StoredEvent[] = [];
      const subscription = store.subscribe({ after: 0n, batchSize: 17 }, (e) => {
        received.push(e);
      });
      let committed = 0;
      let conflicts = 0;
      await Promise.all(
        range(1, writers).map(async (w) => {
          for (let i = 0; i < appendsPerWriter; i++) {
            const streamId = `tally-${(w * 7 + i) % 10}`;
            const size = 1 + ((w + i) % 3);
            const current = (await store.readStream(streamId, { direction: 'backward', limit: 1 })).version;
            // Every fourth append uses a stale version and must fail.
            const expectedVersion: ExpectedVersion = i % 4 === 3 ? current + 5 : current;
            try {
              await store.append(
                streamId,
                range(1, size).map((n) => ev('Counted', { w, i, n })),
                {
                  expectedVersion,
                },
              );
              committed += size;
            } catch (error) {
              if (!(error instanceof ConcurrencyError)) throw error;
              conflicts++;
            }
          }
        }),
      );
      expect(conflicts).toBeGreaterThan(0);
      await waitUntil(() => received.length >= committed, 10_000);
      await subscription.unsubscribe();
      expect(received).toHaveLength(committed);
      const all: StoredEvent[] = [];
      for (let after = 0n; ; ) {
        const page = await store.readAll({ after, limit: 13 });
        if (page.events.length === 0) break;
        all.push(...page.events);
        after = page.last;
      }
      expect(all.map((e) => e.id)).toEqual(received.map((e) => e.id));
      expect(new Set(all.map((e) => e.id)).size).toBe(committed);
      for (let k = 1; k < all.length; k++) expect(all[k]!.position).toBeGreaterThan(all[k - 1]!.position);
      // Per stream, versions are 1..n with no hole.
      const byStream = new Map<string, number[]>();
      for (const e of all) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.version]);
      for (const versions of byStream.values()) expect(versions).toEqual(range(1, versions.length));
    });
  });
}
