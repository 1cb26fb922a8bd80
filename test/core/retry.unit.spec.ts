import { backoffDelay, ErrorCodes, isFactumError, retry, StoreUnavailableError } from 'factum';
import { describe, expect, it } from 'vitest';

describe('retry', () => {
  it('retries retriable errors with backoff until one attempt succeeds', async () => {
    let calls = 0;
    const value = await retry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new StoreUnavailableError('busy');
        return 'done';
      },
      { initialDelayMs: 1, jitter: 0 },
    );
    expect(value).toBe('done');
    expect(calls).toBe(3);
  });

  it('rethrows a non-retriable error at once', async () => {
    let calls = 0;
    const boom = new Error('not retriable');
    await expect(
      retry(async () => {
        calls++;
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(calls).toBe(1);
  });

  it('wraps exhaustion in FACTUM_RETRIES_EXHAUSTED naming attempts and time, with the last error as cause', async () => {
    const last = new StoreUnavailableError('still busy');
    const error = await retry(
      async () => {
        throw last;
      },
      { retries: 2, initialDelayMs: 1 },
    ).catch((e: unknown) => e);
    expect(isFactumError(error, ErrorCodes.RETRIES_EXHAUSTED)).toBe(true);
    expect(error).toMatchObject({ attempts: 3, retriable: false, cause: last });
    expect((error as Error).message).toMatch(/^Gave up after 3 attempts in \d+ ms: still busy$/);
  });

  it('uses the caller’s isRetriable, and stops when the signal aborts', async () => {
    const abort = new AbortController();
    const attempts: number[] = [];
    const result = retry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt === 2) abort.abort(new Error('stopped'));
        throw new Error('any');
      },
      { isRetriable: () => true, initialDelayMs: 1, signal: abort.signal },
    );
    await expect(result).rejects.toThrow('stopped');
    expect(attempts).toEqual([1, 2]);
  });

  it('grows delays by the factor up to the cap', () => {
    expect(
      [1, 2, 3, 4, 5].map((n) => backoffDelay(n, { initialDelayMs: 100, factor: 2, maxDelayMs: 500 })),
    ).toEqual([100, 200, 400, 500, 500]);
  });
});
