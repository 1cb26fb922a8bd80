import { readFileSync } from 'node:fs';
import {
  ConcurrencyError,
  ErrorCodes,
  errorCatalog,
  FactumError,
  isConcurrencyError,
  isFactumError,
  isRetriable,
  RedisCommandError,
  RetriesExhaustedError,
  StaleBatchError,
  StoreUnavailableError,
  SubscriptionHandlerError,
} from 'factum';
import { describe, expect, it } from 'vitest';

describe('error catalog', () => {
  it('lists the same codes in ErrorCodes, errorCatalog and docs/errors.md', () => {
    const codes = Object.values(ErrorCodes).sort();
    expect(Object.keys(errorCatalog).sort()).toEqual(codes);
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\|\s*`(FACTUM_[A-Z_]+)`\s*\|\s*(yes|no)\s*\|/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(documented.map(([code]) => code).sort()).toEqual(codes);
    for (const [code, retriable] of documented) {
      expect(errorCatalog[code as keyof typeof errorCatalog].retriable).toBe(retriable === 'yes');
    }
  });

  it('codes are unique and namespaced', () => {
    const codes = Object.values(ErrorCodes);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^FACTUM_[A-Z_]+$/);
  });

  it('a ConcurrencyError echoes its inputs and is retriable', () => {
    const error = new ConcurrencyError('order-42', 3, 5);
    expect(error.message).toBe('Wrong expected version: 3 (stream: order-42, actual version: 5)');
    expect(error).toMatchObject({ code: 'FACTUM_CONCURRENCY', streamId: 'order-42', expected: 3, actual: 5 });
    expect(error.name).toBe('ConcurrencyError');
    expect(isConcurrencyError(error)).toBe(true);
    expect(isRetriable(error)).toBe(true);
  });

  it('guards match by code, so an error from another copy of the package still matches', () => {
    const foreign = Object.assign(new Error('x'), { code: 'FACTUM_CONCURRENCY', retriable: true });
    expect(isFactumError(foreign, ErrorCodes.CONCURRENCY)).toBe(true);
    expect(isConcurrencyError(foreign)).toBe(true);
    expect(isFactumError(new Error('plain'))).toBe(false);
    expect(isFactumError({ code: 'ECONNRESET' })).toBe(false);
    expect(isFactumError(null)).toBe(false);
    expect(isRetriable(new Error('plain'))).toBe(false);
  });

  it('names any cause in its message: an error by its message, a string as it is, anything else as given', () => {
    expect(new SubscriptionHandlerError('e-1', 3n, new Error('boom')).message).toMatch(/: boom$/);
    expect(new RetriesExhaustedError(2, 10, 'timed out').message).toMatch(/: timed out$/);
    expect(new RetriesExhaustedError(2, 10, Number.NaN).message).toMatch(/: NaN$/);
    expect(new SubscriptionHandlerError('e-1', 3n, { reason: 'no', n: 1n }).message).toMatch(
      /: \{ reason: 'no', n: 1n \}$/,
    );
    // A thrown object without a prototype has no string form; the error is still made.
    expect(new SubscriptionHandlerError('e-1', 3n, Object.create(null)).message).toMatch(
      /: \[Object: null prototype\] \{\}$/,
    );
  });

  it('keeps the cause', () => {
    const cause = new Error('connection reset');
    const error = new StoreUnavailableError('could not append', { cause });
    expect(error.cause).toBe(cause);
    expect(error.retriable).toBe(true);
    expect(error).toBeInstanceOf(FactumError);
  });

  it('a Redis command error is retriable when the connection failed or Redis said not now, not when it refused the command', () => {
    const lost = new RedisCommandError('HGET', new Error('Socket closed unexpectedly'));
    expect(lost).toMatchObject({ code: 'FACTUM_READ_MODEL_UNAVAILABLE', command: 'HGET', retriable: true });
    expect(lost.message).toBe('Redis HGET failed: Socket closed unexpectedly');
    expect(new RedisCommandError('GET', new Error('connect ECONNREFUSED 127.0.0.1:6379')).retriable).toBe(
      true,
    );
    expect(
      new RedisCommandError('GET', new Error('LOADING Redis is loading the dataset in memory')).retriable,
    ).toBe(true);
    expect(new RedisCommandError('SADD', new Error('WRONGTYPE Operation against a key')).retriable).toBe(
      false,
    );
    expect(new RedisCommandError('EVALSHA', new Error('NOSCRIPT No matching script')).retriable).toBe(false);
    class ClientClosedError extends Error {}
    expect(new RedisCommandError('GET', new ClientClosedError('The client is closed')).retriable).toBe(false);
  });

  it('a stale batch echoes its checkpoint and position', () => {
    const error = new StaleBatchError('p:{orders}:checkpoint:1', 12n, 10n);
    expect(error.message).toBe(
      'Batch up to position 10 not applied: checkpoint p:{orders}:checkpoint:1 is already at 12',
    );
    expect(error).toMatchObject({ code: 'FACTUM_STALE_BATCH', retriable: false, stored: 12n, position: 10n });
  });
});
