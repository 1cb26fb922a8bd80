import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../../core/envelope.js';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import type { ExpectedVersion } from '../../core/expected-version.js';
import { newEventId } from '../../core/ids.js';
import type { EventStore, SubscribeOptions } from '../../core/store.js';
import { waitUntil } from '../helpers.js';
import { placed, type StoreFactory } from './fixtures.js';

/** Bad input: refused with a typed error, and nothing is written. */
export function describeBadInput(factory: StoreFactory): void {
  describe('bad input is rejected with a typed error and writes nothing', () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

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
      ['data with NaN', () => ['bad-1', [{ type: 'T', data: { n: Number.NaN } }]], ErrorCodes.INVALID_EVENT],
      ['data with a Map', () => ['bad-1', [{ type: 'T', data: { m: new Map() } }]], ErrorCodes.INVALID_EVENT],
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
      ['events that are not an array', () => ['bad-1', { type: 'T', data: {} }], ErrorCodes.INVALID_ARGUMENT],
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
      [
        'a NaN expected version',
        () => ['bad-1', [placed(1)], { expectedVersion: Number.NaN }],
        ErrorCodes.INVALID_EXPECTED_VERSION,
      ],
      [
        'an infinite expected version',
        () => ['bad-1', [placed(1)], { expectedVersion: Number.POSITIVE_INFINITY }],
        ErrorCodes.INVALID_EXPECTED_VERSION,
      ],
      ['a stream id with a NUL', () => ['bad-\u00001', [placed(1)]], ErrorCodes.INVALID_STREAM_ID],
      [
        'a stream id with an unpaired high surrogate',
        () => ['acct-\uD800', [placed(1)]],
        ErrorCodes.INVALID_STREAM_ID,
      ],
      [
        'a stream id with an unpaired low surrogate',
        () => ['acct-\uDC00-1', [placed(1)]],
        ErrorCodes.INVALID_STREAM_ID,
      ],
      [
        'a stream id and a type with unpaired surrogates',
        () => ['acct-\uD800', [{ type: 'Ty\uD800pe', data: {} }]],
        ErrorCodes.INVALID_STREAM_ID,
      ],
      [
        'a type with an unpaired surrogate',
        () => ['bad-1', [{ type: 'Ty\uD800pe', data: {} }]],
        ErrorCodes.INVALID_EVENT,
      ],
      [
        'a type with surrogates in the wrong order',
        () => ['bad-1', [{ type: 'T\uDC00\uD800', data: {} }]],
        ErrorCodes.INVALID_EVENT,
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

    it('refuses an unpaired surrogate in a stream id, a type or a read filter: no store could keep it exactly', async () => {
      await store.append('acct-1', [placed(1)]);
      await expect(
        store.append('acct-1', [placed(2), { type: 'Ty\uD800pe', data: {} }]),
      ).rejects.toMatchObject({
        code: ErrorCodes.INVALID_EVENT,
        field: 'events[1].type',
      });
      await expect(store.readStream('acct-\uD800')).rejects.toMatchObject({
        code: ErrorCodes.INVALID_STREAM_ID,
        field: 'streamId',
      });
      for (const [field, options] of [
        ['types', { types: ['OrderPlaced', 'Ty\uD800pe'] }],
        ['categories', { categories: ['acct\uDFFF'] }],
      ] as const) {
        await expect(store.readAll(options)).rejects.toMatchObject({
          code: ErrorCodes.INVALID_ARGUMENT,
          field,
        });
        expect(subscribeError(store, options)).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, field });
      }
      expect((await store.readAll()).events.map((e) => e.version)).toEqual([1]);
    });

    it('refuses a position outside 0 ≤ after ≤ 2^63−1 in readAll and subscribe, naming it', async () => {
      await store.append('order-81', [placed(81)]);
      for (const after of [2n ** 70n, 2n ** 63n, -1n]) {
        const refused = {
          code: ErrorCodes.INVALID_ARGUMENT,
          field: 'after',
          message: expect.stringContaining(`${after}n`),
        };
        await expect(store.readAll({ after })).rejects.toBeInstanceOf(ValidationError);
        await expect(store.readAll({ after })).rejects.toMatchObject(refused);
        const error = subscribeError(store, { after });
        expect(error).toBeInstanceOf(ValidationError);
        expect(error).toMatchObject(refused);
      }
      const max = 2n ** 63n - 1n;
      expect(await store.readAll({ after: max })).toEqual({ events: [], last: max });
      const seen: StoredEvent[] = [];
      const sub = store.subscribe({ after: max }, (e) => {
        seen.push(e);
      });
      await waitUntil(() => sub.status().state === 'live');
      await sub.unsubscribe();
      expect(sub.status()).toMatchObject({ state: 'stopped', position: max });
      expect(seen).toEqual([]);
    });

    it('shows a bad expected version as it was given: NaN, Infinity, -Infinity, a bigint, a symbol', async () => {
      const given: [unknown, string][] = [
        [Number.NaN, 'NaN'],
        [Number.POSITIVE_INFINITY, 'Infinity'],
        [Number.NEGATIVE_INFINITY, '-Infinity'],
        [5n, '5n'],
        [Symbol('v'), 'Symbol(v)'],
      ];
      for (const [expectedVersion, shown] of given) {
        await expect(
          store.append('bad-1', [placed(1)], { expectedVersion: expectedVersion as ExpectedVersion }),
        ).rejects.toMatchObject({
          code: ErrorCodes.INVALID_EXPECTED_VERSION,
          message: expect.stringContaining(`Invalid expected version: ${shown} (`),
        });
      }
      expect((await store.readStream('bad-1')).exists).toBe(false);
    });
  });
}

/** The error `subscribe` throws for these options, or undefined (after stopping the subscription) when it throws none. */
function subscribeError(store: EventStore, options: SubscribeOptions): unknown {
  try {
    const subscription = store.subscribe(options, () => {});
    void subscription.unsubscribe();
    return undefined;
  } catch (error) {
    return error;
  }
}
