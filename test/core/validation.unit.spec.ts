import { ErrorCodes, matchesExpectedVersion } from 'factum';
import { describe, expect, it } from 'vitest';
import { prepareAppend } from '../../src/core/validation.js';

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
