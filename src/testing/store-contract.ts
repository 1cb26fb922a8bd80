import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../core/envelope.js';
import {
  ConcurrencyError,
  DuplicateEventIdError,
  ErrorCodes,
  isFactumError,
  StoreClosedError,
  SubscriptionHandlerError,
  ValidationError,
} from '../core/errors.js';
import type { ExpectedVersion } from '../core/expected-version.js';
import { newEventId } from '../core/ids.js';
import type { EventStore } from '../core/store.js';

export type StoreFactory = () => EventStore | Promise<EventStore>;

export interface StoreContractOptions {
  /** Concurrent writers in the global-order test (default 8). */
  writers?: number;
  /** Appends per writer in the global-order test (default 25). */
  appendsPerWriter?: number;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The event store conformance suite: every store Factum ships, and any store you write, must pass it.
 * `factory` returns a new, empty store for each test; the suite closes it afterwards.
 *
 * ```ts
 * describeEventStoreContract('sqlite', () => createSqliteStore(tempFile()));
 * ```
 */
export function describeEventStoreContract(
  name: string,
  factory: StoreFactory,
  options: StoreContractOptions = {},
): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('append and readStream', () => {
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
        const ids = [
          "o'rder-1",
          'order-"x"',
          "order-1'; DROP TABLE factum_events; --",
          'заказ-7',
          'order-🚀',
        ];
        for (const id of ids) await store.append(id, [ev('Type\'With"Quotes', { s: "it's" })]);
        for (const id of ids) {
          const { events } = await store.readStream(id);
          expect(events.map((e) => [e.streamId, e.type, e.data])).toEqual([
            [id, 'Type\'With"Quotes', { s: "it's" }],
          ]);
        }
        expect((await store.readAll({ types: ['Type\'With"Quotes'] })).events).toHaveLength(ids.length);
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

    describe('optimistic concurrency', () => {
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

    describe('idempotent retry', () => {
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

    describe('global log', () => {
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

    describe('subscribe', () => {
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

    describe('temporal reads', () => {
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

    describe('bad input is rejected with a typed error and writes nothing', () => {
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      const cases: [string, () => [string, unknown, unknown?], string][] = [
        ['an empty stream id', () => ['', [placed(1)]], ErrorCodes.INVALID_STREAM_ID],
        ['an over-long stream id', () => ['x'.repeat(256), [placed(1)]], ErrorCodes.INVALID_STREAM_ID],
        [
          'a stream id that is not a string',
          () => [42 as unknown as string, [placed(1)]],
          ErrorCodes.INVALID_STREAM_ID,
        ],
        ['an event without a type', () => ['bad-1', [{ data: {} }]], ErrorCodes.INVALID_EVENT],
        ['an empty type', () => ['bad-1', [{ type: '', data: {} }]], ErrorCodes.INVALID_EVENT],
        ['data with a BigInt', () => ['bad-1', [{ type: 'T', data: { n: 10n } }]], ErrorCodes.INVALID_EVENT],
        ['data with a cycle', () => ['bad-1', [{ type: 'T', data: cyclic }]], ErrorCodes.INVALID_EVENT],
        [
          'data with a function',
          () => ['bad-1', [{ type: 'T', data: { f: () => 1 } }]],
          ErrorCodes.INVALID_EVENT,
        ],
        [
          'data with NaN',
          () => ['bad-1', [{ type: 'T', data: { n: Number.NaN } }]],
          ErrorCodes.INVALID_EVENT,
        ],
        [
          'data with a Map',
          () => ['bad-1', [{ type: 'T', data: { m: new Map() } }]],
          ErrorCodes.INVALID_EVENT,
        ],
        [
          'data that is not an object',
          () => ['bad-1', [{ type: 'T', data: 'text' }]],
          ErrorCodes.INVALID_EVENT,
        ],
        ['missing data', () => ['bad-1', [{ type: 'T' }]], ErrorCodes.INVALID_EVENT],
        [
          'metadata that is not JSON',
          () => ['bad-1', [{ type: 'T', data: {}, metadata: { n: 1n } }]],
          ErrorCodes.INVALID_EVENT,
        ],
        [
          'a correlationId that is not a string',
          () => ['bad-1', [{ type: 'T', data: {}, metadata: { correlationId: 7 } }]],
          ErrorCodes.INVALID_EVENT,
        ],
        [
          'an id that is not a UUID',
          () => ['bad-1', [{ type: 'T', data: {}, id: 'abc' }]],
          ErrorCodes.INVALID_EVENT,
        ],
        [
          'the same id twice in one append',
          () => {
            const id = newEventId();
            return [
              'bad-1',
              [
                { type: 'T', data: {}, id },
                { type: 'T', data: {}, id },
              ],
            ];
          },
          ErrorCodes.INVALID_EVENT,
        ],
        [
          'a bad schemaVersion',
          () => ['bad-1', [{ type: 'T', data: {}, schemaVersion: 0 }]],
          ErrorCodes.INVALID_EVENT,
        ],
        ['no events', () => ['bad-1', []], ErrorCodes.INVALID_ARGUMENT],
        [
          'events that are not an array',
          () => ['bad-1', { type: 'T', data: {} }],
          ErrorCodes.INVALID_ARGUMENT,
        ],
        [
          "an unknown expected version 'latest'",
          () => ['bad-1', [placed(1)], { expectedVersion: 'latest' }],
          ErrorCodes.INVALID_EXPECTED_VERSION,
        ],
        [
          'a negative expected version',
          () => ['bad-1', [placed(1)], { expectedVersion: -1 }],
          ErrorCodes.INVALID_EXPECTED_VERSION,
        ],
        [
          'a fractional expected version',
          () => ['bad-1', [placed(1)], { expectedVersion: 1.5 }],
          ErrorCodes.INVALID_EXPECTED_VERSION,
        ],
        [
          'a numeric string expected version',
          () => ['bad-1', [placed(1)], { expectedVersion: '1' }],
          ErrorCodes.INVALID_EXPECTED_VERSION,
        ],
      ];
      for (const [what, args, code] of cases) {
        it(`refuses ${what}`, async () => {
          await store.append('good-1', [placed(1)]);
          const [streamId, events, opts] = args();
          const attempt = store.append(
            streamId,
            events as NewEvent[],
            opts as { expectedVersion: ExpectedVersion },
          );
          await expect(attempt).rejects.toBeInstanceOf(ValidationError);
          await expect(attempt).rejects.toMatchObject({ code, retriable: false });
          const all = (await store.readAll()).events;
          expect(all.map((e) => e.streamId)).toEqual(['good-1']);
        });
      }

      it('refuses a batch whose second event is bad, keeping the first out too', async () => {
        await expect(
          store.append('order-80', [placed(80), { type: 'T', data: { n: 1n } }]),
        ).rejects.toMatchObject({
          code: ErrorCodes.INVALID_EVENT,
          field: 'events[1].data',
        });
        expect((await store.readStream('order-80')).exists).toBe(false);
      });

      it('refuses bad read options', async () => {
        await expect(store.readStream('', {})).rejects.toMatchObject({ code: ErrorCodes.INVALID_STREAM_ID });
        await expect(store.readStream('order-1', { limit: 0 })).rejects.toMatchObject({
          code: ErrorCodes.INVALID_ARGUMENT,
        });
        await expect(store.readStream('order-1', { until: new Date('nope') })).rejects.toMatchObject({
          code: ErrorCodes.INVALID_ARGUMENT,
        });
        await expect(store.readAll({ after: -1n })).rejects.toMatchObject({
          code: ErrorCodes.INVALID_ARGUMENT,
        });
        await expect(store.readAll({ after: 5 as unknown as bigint })).rejects.toMatchObject({
          code: ErrorCodes.INVALID_ARGUMENT,
        });
      });
    });

    describe('close', () => {
      it('refuses work after close', async () => {
        const sub = store.subscribe({}, () => {});
        await store.close();
        await sub.done;
        await expect(store.append('order-90', [placed(90)])).rejects.toBeInstanceOf(StoreClosedError);
        await expect(store.readAll()).rejects.toMatchObject({ code: ErrorCodes.STORE_CLOSED });
        await store.close();
      });
    });
  });
}

function ev(type: string, data: Record<string, unknown>): NewEvent {
  return { type, data };
}

function placed(orderId: number, metadata?: NewEvent['metadata']): NewEvent {
  const event: NewEvent = {
    type: 'OrderPlaced',
    data: { orderId, total: 4999, items: [{ sku: 'a', qty: 2 }], note: null, dropped: undefined },
  };
  if (metadata !== undefined) event.metadata = metadata;
  return event;
}

function withId(event: NewEvent): NewEvent & { id: string } {
  return { ...event, id: newEventId() };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

async function expectConflict(
  attempt: Promise<unknown>,
  expected: { streamId: string; expected: ExpectedVersion; actual: number },
): Promise<void> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConcurrencyError);
  expect(isFactumError(error, ErrorCodes.CONCURRENCY)).toBe(true);
  expect(error).toMatchObject(expected);
}

async function expectDuplicate(attempt: Promise<unknown>, eventId: string): Promise<void> {
  await expect(attempt).rejects.toBeInstanceOf(DuplicateEventIdError);
  await expect(attempt).rejects.toMatchObject({ eventId });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}
