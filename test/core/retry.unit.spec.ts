import { ErrorCodes, type FactumError, isFactumError, retry, StoreUnavailableError } from 'factum';
import { describe, expect, it } from 'vitest';

describe('retry', () => {
  it('retries retriable errors with backoff until the call succeeds', async () => {
    let calls = 0;
    const result = await retry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new StoreUnavailableError('busy');
        return 'ok';
      },
      { initialDelayMs: 1 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('rethrows a non-retriable error at once', async () => {
    let calls = 0;
    const boom = new TypeError('bug');
    await expect(
      retry(
        async () => {
          calls++;
          throw boom;
        },
        { initialDelayMs: 1 },
      ),
    ).rejects.toBe(boom);
    expect(calls).toBe(1);
  });

  it('wraps exhaustion in FACTUM_RETRIES_EXHAUSTED naming attempts and time, with the last error as cause', async () => {
    const last = new StoreUnavailableError('still busy');
    let error: unknown;
    try {
      await retry(
        async () => {
          throw last;
        },
        { retries: 2, initialDelayMs: 1, jitter: 0 },
      );
    } catch (e) {
      error = e;
    }
    expect(isFactumError(error, ErrorCodes.RETRIES_EXHAUSTED)).toBe(true);
    expect((error as FactumError).message).toMatch(/after 3 attempts in \d+ ms: still busy/);
    expect((error as FactumError).cause).toBe(last);
    expect((error as FactumError).retriable).toBe(false);
  });

  it('honours a custom isRetriable and stops when the signal aborts', async () => {
    const abort = new AbortController();
    let calls = 0;
    const running = retry(
      async () => {
        calls++;
        if (calls === 2) abort.abort(new Error('stopped'));
        throw new Error('any error');
      },
      { isRetriable: () => true, initialDelayMs: 1, retries: 100, signal: abort.signal },
    );
    await expect(running).rejects.toThrow('stopped');
    expect(calls).toBe(2);
  });
});
