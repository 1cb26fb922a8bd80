import { ErrorCodes, RetriesExhaustedError, retry, StoreUnavailableError, ValidationError } from 'factum';
import { describe, expect, it } from 'vitest';

const fast = { initialDelayMs: 1, maxDelayMs: 2, jitter: 0 };

describe('retry', () => {
  it('retries retriable errors until the call succeeds', async () => {
    let calls = 0;
    const result = await retry(async (attempt) => {
      calls++;
      if (attempt < 3) throw new StoreUnavailableError('down');
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('throws a non-retriable error at once, unchanged', async () => {
    let calls = 0;
    const error = new ValidationError(ErrorCodes.INVALID_ARGUMENT, 'x', 'bad');
    await expect(
      retry(async () => {
        calls++;
        throw error;
      }, fast),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('wraps exhaustion in FACTUM_RETRIES_EXHAUSTED naming attempts and time, with the last error as cause', async () => {
    const last = new StoreUnavailableError('still down');
    const attempt = retry(
      async () => {
        throw last;
      },
      { ...fast, retries: 2 },
    );
    await expect(attempt).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(attempt).rejects.toMatchObject({
      code: ErrorCodes.RETRIES_EXHAUSTED,
      attempts: 3,
      cause: last,
      retriable: false,
      message: expect.stringMatching(/failed after 3 attempts in \d+ ms: still down/),
    });
  });

  it('backs off exponentially up to the cap, and stops when aborted', async () => {
    const delays: number[] = [];
    let last = performance.now();
    const controller = new AbortController();
    const attempt = retry(
      async (n) => {
        const now = performance.now();
        if (n > 1) delays.push(now - last);
        last = now;
        if (n === 5) controller.abort();
        throw new StoreUnavailableError('down');
      },
      {
        retries: Number.POSITIVE_INFINITY,
        initialDelayMs: 10,
        factor: 2,
        maxDelayMs: 30,
        jitter: 0,
        signal: controller.signal,
      },
    );
    await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(delays).toHaveLength(4);
    expect(delays[0]).toBeGreaterThanOrEqual(9);
    expect(delays[1]).toBeGreaterThanOrEqual(19);
    expect(delays[3]).toBeLessThan(100);
  });

  it('uses the given isRetriable', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('flaky');
        },
        { ...fast, retries: 1, isRetriable: (e) => (e as Error).message === 'flaky' },
      ),
    ).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(calls).toBe(2);
  });
});
