import { ConcurrencyError, DuplicateEventIdError, newEventId } from 'factum';
import { describe, expect, it } from 'vitest';
import { checkExpectedVersion, concurrencyError } from '../../src/core/expected-version.js';
import { checkAppend, type StoredIdRecord } from '../../src/core/idempotency.js';
import { prepareAppend } from '../../src/core/validation.js';

describe('the expected-version rule', () => {
  it('one error echoes stream, expected (any when none was given) and actual, with the options given', () => {
    const cause = new Error('raced');
    const error = concurrencyError('order-1', undefined, 4, { cause, retriable: false });
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ streamId: 'order-1', expected: 'any', actual: 4, retriable: false, cause });
    expect(error.message).toBe('Wrong expected version: any (stream: order-1, actual version: 4)');
    expect(() => checkExpectedVersion('order-1', 'no_stream', 2)).toThrow(
      'Wrong expected version: no_stream (stream: order-1, actual version: 2)',
    );
    expect(() => checkExpectedVersion('order-1', 0, 0)).not.toThrow();
  });

  it('checkAppend: an exact retry returns its result whatever the expected version; then the version decides', () => {
    const id = newEventId();
    const stored = new Map<string, StoredIdRecord>([[id, { streamId: 'order-1', version: 3, position: 9n }]]);
    const retry = prepareAppend('order-1', [{ type: 'T', data: {}, id }], { expectedVersion: 2 });
    expect(checkAppend(retry, stored, 3)).toEqual({ nextExpectedVersion: 3, position: 9n });
    const elsewhere = prepareAppend('order-2', [{ type: 'T', data: {}, id }], {});
    expect(() => checkAppend(elsewhere, stored, 0)).toThrow(DuplicateEventIdError);
    const stale = prepareAppend('order-1', [{ type: 'T', data: {} }], { expectedVersion: 2 });
    expect(() => checkAppend(stale, new Map(), 3)).toThrow(ConcurrencyError);
    expect(checkAppend(stale, new Map(), 2)).toBeUndefined();
  });
});
