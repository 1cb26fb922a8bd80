import { ErrorCodes, isFactumError } from 'factum';
import { describe, expect, it } from 'vitest';
import { checkFilter, compareValues, fieldValue, matches } from '../../src/projections/filter.js';

describe('document filters', () => {
  it('flattens a filter into conditions, booleans as 1/0 like the SQL stores', () => {
    expect(
      checkFilter({ status: 'placed', paid: true, total: { gte: 10, lt: 20 }, tag: { in: ['a', false] } }),
    ).toEqual([
      { field: 'status', op: 'eq', value: 'placed' },
      { field: 'paid', op: 'eq', value: 1 },
      { field: 'total', op: 'gte', value: 10 },
      { field: 'total', op: 'lt', value: 20 },
      { field: 'tag', op: 'in', value: ['a', 0] },
    ]);
    expect(checkFilter(undefined)).toEqual([]);
  });

  it('reads fields as SQL JSON functions do: missing is null, nested objects as JSON text', () => {
    const doc = { a: { b: 2 }, t: true, n: null, list: [1, 2] };
    expect(fieldValue(doc, 'a.b')).toBe(2);
    expect(fieldValue(doc, 'a.c')).toBeNull();
    expect(fieldValue(doc, 'a.b.c')).toBeNull();
    expect(fieldValue(doc, 't')).toBe(1);
    expect(fieldValue(doc, 'n')).toBeNull();
    expect(fieldValue(doc, 'list')).toBe('[1,2]');
    expect(fieldValue(doc, 'a')).toBe('{"b":2}');
  });

  it('orders numbers before strings, like SQL', () => {
    expect(compareValues(10, 9)).toBeGreaterThan(0);
    expect(compareValues(1_000, 'a')).toBeLessThan(0);
    expect(compareValues('b', 'a')).toBeGreaterThan(0);
    expect(matches({ v: 'text' }, checkFilter({ v: { gt: 5 } }))).toBe(true);
    expect(matches({ v: 4 }, checkFilter({ v: { gt: 5 } }))).toBe(false);
    expect(matches({}, checkFilter({ v: { lt: 5 } }))).toBe(false);
    expect(matches({}, checkFilter({ v: { ne: 5 } }))).toBe(true);
  });

  it('refuses what it cannot express safely', () => {
    for (const bad of [
      [],
      'x',
      { 'a..b': 1 },
      { a: { like: 'x' } },
      { a: { in: 'x' } },
      { a: {} },
      { a: Number.POSITIVE_INFINITY },
      { a: { gt: null } },
    ]) {
      let error: unknown;
      try {
        checkFilter(bad as never);
      } catch (e) {
        error = e;
      }
      expect(isFactumError(error, ErrorCodes.INVALID_ARGUMENT), JSON.stringify(bad)).toBe(true);
    }
  });
});
