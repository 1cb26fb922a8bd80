import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../core/envelope.js';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import type { ExpectedVersion } from '../../core/expected-version.js';
import { newEventId } from '../../core/ids.js';
import type { EventStore } from '../../core/store.js';
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
}
