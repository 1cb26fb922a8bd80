import { ErrorCodes, matchesExpectedVersion, ValidationError } from 'factum';
import { describe, expect, it } from 'vitest';
import { formatValue } from '../../src/core/format.js';
import { prepareSnapshot } from '../../src/core/snapshot.js';
import { checkReadAllOptions, checkReadStreamOptions, MAX_POSITION } from '../../src/core/store.js';
import { assertStreamId, prepareAppend } from '../../src/core/validation.js';

describe('prepareAppend', () => {
  it('serialises data and metadata once and names the category', () => {
    const prepared = prepareAppend('order-7', [{ type: 'OrderPlaced', data: { at: new Date(0), n: 1 } }], {});
    expect(prepared.category).toBe('order');
    expect(prepared.events[0]).toMatchObject({
      type: 'OrderPlaced',
      data: '{"at":"1970-01-01T00:00:00.000Z","n":1}',
      metadata: '{}',
      schemaVersion: 1,
      callerId: false,
    });
  });

  it('names the path of the first value JSON cannot represent', () => {
    const attempt = () =>
      prepareAppend(
        'order-7',
        [{ type: 'T', data: { a: [{ ok: 1 }, { bad: Number.POSITIVE_INFINITY }] } }],
        {},
      );
    expect(attempt).toThrow(/Infinity at data\.a\[1\]\.bad is not a JSON number/);
    expect(() => prepareAppend('o-1', [{ type: 'T', data: { s: new Set([1]) } }], {})).toThrow(
      /Set at data\.s is not a plain JSON object/,
    );
    expect(() => prepareAppend('o-1', [{ type: 'T', data: { a: [1, undefined] } }], {})).toThrow(
      /undefined at data\.a\[1\]/,
    );
    expect(() => prepareAppend('o-1', [{ type: 'T', data: { s: Symbol('x') } }], {})).toThrow(
      /symbol at data\.s/,
    );
  });

  it('drops undefined object properties as JSON does', () => {
    const prepared = prepareAppend('o-1', [{ type: 'T', data: { a: 1, b: undefined } }], {});
    expect(prepared.events[0]?.data).toBe('{"a":1}');
  });

  it('accepts objects without a prototype and lower-cases caller ids', () => {
    const data = Object.assign(Object.create(null) as object, { a: 1 });
    const id = '0190F3C2-7A1E-7C55-9B1E-3F2D4C5B6A79';
    const prepared = prepareAppend('o-1', [{ type: 'T', data, id }], {});
    expect(prepared.events[0]).toMatchObject({ id: id.toLowerCase(), callerId: true, data: '{"a":1}' });
    expect(prepared.hasCallerIds).toBe(true);
  });

  it('gives a stream id error for NUL characters and the 255-character limit', () => {
    expect(() => prepareAppend('a\u0000b', [{ type: 'T', data: {} }], {})).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_STREAM_ID }),
    );
    expect(() => prepareAppend('x'.repeat(255), [{ type: 'T', data: {} }], {})).not.toThrow();
  });
});

describe('text a store cannot keep exactly', () => {
  const refused = (attempt: () => unknown) => {
    try {
      attempt();
    } catch (error) {
      return error;
    }
    throw new Error('expected a ValidationError, but nothing was thrown');
  };

  it('is refused in stream ids, types, filters and snapshot names, saying what and where', () => {
    expect(refused(() => assertStreamId('acct-\uD800'))).toMatchObject({
      code: ErrorCodes.INVALID_STREAM_ID,
      message:
        "Invalid stream id 'acct-\\ud800': it contains an unpaired UTF-16 surrogate (\\uD800 at index 5), which not every store can keep exactly",
    });
    expect(refused(() => prepareAppend('acct-1', [{ type: 'Ty\uDC00pe', data: {} }], {}))).toMatchObject({
      code: ErrorCodes.INVALID_EVENT,
      field: 'events[0].type',
      message: expect.stringContaining('(\\uDC00 at index 2)'),
    });
    expect(refused(() => prepareAppend('acct-1', [{ type: 'T\u0000', data: {} }], {}))).toMatchObject({
      code: ErrorCodes.INVALID_EVENT,
      message: expect.stringContaining('NUL character (at index 1)'),
    });
    expect(refused(() => checkReadAllOptions({ types: ['A', 'B\uD800'] }))).toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      field: 'types',
      message: expect.stringMatching(/^types\[1\] 'B\\ud800': it contains an unpaired/),
    });
    expect(refused(() => checkReadAllOptions({ categories: ['a\u0000'] }))).toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      field: 'categories',
    });
    const snapshot = { streamId: 's-1', name: 'tally\uDFFF', version: 1, schemaVersion: 1, state: {} };
    expect(refused(() => prepareSnapshot(snapshot))).toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      field: 'name',
    });
  });

  it('accepts surrogate pairs in stream ids and types, and any string inside data and metadata', () => {
    const prepared = prepareAppend(
      'acct-🚀',
      [{ type: '🚀Launched', data: { lone: '\uD800', 'k\uDC00': 1 }, metadata: { extra: '\uDBFF' } }],
      {},
    );
    expect(prepared.events[0]).toMatchObject({
      type: '🚀Launched',
      data: '{"lone":"\\ud800","k\\udc00":1}',
      metadata: '{"extra":"\\udbff"}',
    });
    expect(checkReadAllOptions({ types: ['🚀Launched'], categories: ['acct'] }).types).toEqual([
      '🚀Launched',
    ]);
  });
});

describe('positions', () => {
  it('are bigints from 0n to 2^63−1; anything else is refused, naming the value', () => {
    expect(MAX_POSITION).toBe(9223372036854775807n);
    expect(checkReadAllOptions({ after: MAX_POSITION }).after).toBe(MAX_POSITION);
    expect(checkReadAllOptions({}).after).toBe(0n);
    for (const [after, shown] of [
      [MAX_POSITION + 1n, '9223372036854775808n'],
      [2n ** 70n, '1180591620717411303424n'],
      [-1n, '-1n'],
      [5, '5'],
      ['5', "'5'"],
      [Number.NaN, 'NaN'],
    ] as const) {
      expect(() => checkReadAllOptions({ after: after as bigint })).toThrow(
        expect.objectContaining({
          code: ErrorCodes.INVALID_ARGUMENT,
          field: 'after',
          message: `after must be a bigint position from 0n to 9223372036854775807n (2^63−1), got ${shown}`,
        }),
      );
    }
  });
});

describe('error messages show values as given', () => {
  it('formats what JSON.stringify would change or drop', () => {
    expect(
      [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 10n, Symbol('v'), undefined].map(
        formatValue,
      ),
    ).toEqual(['NaN', 'Infinity', '-Infinity', '-0', '10n', 'Symbol(v)', 'undefined']);
    expect(formatValue({ n: Number.NaN, b: [1n] })).toBe('{ n: NaN, b: [ 1n ] }');
    expect(formatValue('it')).toBe("'it'");
    expect(formatValue('x'.repeat(200)).length).toBeLessThan(120);
  });

  it('in expected versions, ids, schema versions and read options', () => {
    for (const [expectedVersion, shown] of [
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [Number.NEGATIVE_INFINITY, '-Infinity'],
      [7n, '7n'],
    ] as const) {
      expect(() => prepareAppend('o-1', [{ type: 'T', data: {} }], { expectedVersion })).toThrow(
        `Invalid expected version: ${shown} (`,
      );
    }
    // An id without a prototype has no string form: the message still names it.
    const id = Object.create(null) as string;
    expect(() => prepareAppend('o-1', [{ type: 'T', data: {}, id }], {})).toThrow(
      expect.objectContaining({
        code: ErrorCodes.INVALID_EVENT,
        message: expect.stringContaining('id must be a UUID string, got [Object: null prototype] {}'),
      }),
    );
    expect(() => prepareAppend('o-1', [{ type: 'T', data: {}, schemaVersion: Number.NaN }], {})).toThrow(
      /schemaVersion must be a positive integer, got NaN/,
    );
    expect(() => checkReadAllOptions({ limit: 5n as unknown as number })).toThrow(
      'limit must be an integer >= 1, got 5n',
    );
    expect(() => checkReadStreamOptions({ direction: Symbol('up') as unknown as 'forward' })).toThrow(
      "direction must be 'forward' or 'backward', got Symbol(up)",
    );
    expect(() => checkReadStreamOptions({ limit: Object.create(null) })).toThrow(ValidationError);
  });
});

describe('matchesExpectedVersion', () => {
  it.each([
    [undefined, 0, true],
    ['any', 7, true],
    ['no_stream', 0, true],
    ['no_stream', 1, false],
    [0, 0, true],
    [0, 1, false],
    ['stream_exists', 0, false],
    ['stream_exists', 2, true],
    [3, 3, true],
    [3, 4, false],
  ] as const)('expected %s, actual %s → %s', (expected, actual, result) => {
    expect(matchesExpectedVersion(expected, actual)).toBe(result);
  });
});
