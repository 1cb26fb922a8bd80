import {
  AbortedError,
  ConcurrencyError,
  DEFAULT_RETRY,
  ErrorCodes,
  isFactumError,
  RetriesExhaustedError,
  retry,
  StoreUnavailableError,
  ValidationError,
} from 'factum';
import { describe, expect, it } from 'vitest';

/** A fake clock and sleep: waits are recorded and advance the clock, nothing really sleeps. */
function fakeTime() {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
  };
}

describe('retry', () => {
  it('returns the first success and passes the attempt number', async () => {
    const time = fakeTime();
    const seen: number[] = [];
    const result = await retry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new StoreUnavailableError('busy');
        return 'ok';
      },
      { sleep: time.sleep, now: time.now, random: () => 0, jitter: 0 },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
    expect(time.waits).toEqual([10, 20]);
  });

  it('backs off exponentially up to the cap, with jitter drawn from [delay × (1 − jitter), delay]', async () => {
    const time = fakeTime();
    const randoms = [0, 0.5, 0.999, 0.25, 1 - Number.EPSILON];
    let r = 0;
    const error = await retry(
      () => {
        throw new StoreUnavailableError('still busy');
      },
      {
        retries: 5,
        initialDelayMs: 100,
        factor: 3,
        maxDelayMs: 1000,
        jitter: 0.5,
        random: () => randoms[r++]!,
        sleep: time.sleep,
        now: time.now,
      },
    ).catch((e: unknown) => e);
    // Bases: 100, 300, 900, 1000 (capped), 1000. Delay = base × (1 − 0.5 × random).
    expect(time.waits.map((w) => Math.round(w))).toEqual([100, 225, 450, 875, 500]);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ code: ErrorCodes.RETRIES_EXHAUSTED, attempts: 6, retriable: false });
    expect((error as RetriesExhaustedError).elapsedMs).toBeCloseTo(2150, 0);
    expect((error as Error).message).toBe('Gave up after 6 attempts in 2150 ms: still busy');
    expect((error as Error).cause).toBeInstanceOf(StoreUnavailableError);
  });

  it('full jitter (1) draws from [0, delay]; no jitter (0) waits the exact delay', async () => {
    for (const [jitter, random, expected] of [
      [1, 0.999999, 0],
      [1, 0, 40],
      [0, 0.7, 40],
    ] as const) {
      const time = fakeTime();
      await retry(
        (attempt) => {
          if (attempt === 1) throw new ConcurrencyError('s-1', 1, 2);
        },
        { initialDelayMs: 40, jitter, random: () => random, sleep: time.sleep, now: time.now },
      );
      expect(Math.round(time.waits[0]!)).toBe(expected);
    }
  });

  it('never retries an error that is not retriable, and passes it through unchanged', async () => {
    const time = fakeTime();
    const domain = new Error('insufficient funds');
    let calls = 0;
    const error = await retry(
      () => {
        calls++;
        throw domain;
      },
      { sleep: time.sleep, now: time.now },
    ).catch((e: unknown) => e);
    expect(error).toBe(domain);
    expect(calls).toBe(1);
    const stale = new ConcurrencyError('s-1', 1, 3, { retriable: false });
    await expect(retry(() => Promise.reject(stale), { sleep: time.sleep })).rejects.toBe(stale);
    expect(time.waits).toEqual([]);
  });

  it('uses the given isRetriable and reports each retry', async () => {
    const time = fakeTime();
    const retries: number[] = [];
    const result = await retry(
      (attempt) => {
        if (attempt < 3) throw new Error(`flaky ${attempt}`);
        return attempt;
      },
      {
        isRetriable: (e) => e instanceof Error && e.message.startsWith('flaky'),
        onRetry: ({ attempt }) => retries.push(attempt),
        sleep: time.sleep,
        now: time.now,
      },
    );
    expect(result).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('retries: 0 calls once and wraps a retriable failure', async () => {
    const error = await retry(() => Promise.reject(new StoreUnavailableError('down')), { retries: 0 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'FACTUM_RETRIES_EXHAUSTED', attempts: 1 });
  });

  it('stops when the signal aborts, between attempts and during a wait', async () => {
    const before = new AbortController();
    before.abort(new Error('shutting down'));
    let calls = 0;
    const error = await retry(
      () => {
        calls++;
      },
      { signal: before.signal },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(isFactumError(error, ErrorCodes.ABORTED)).toBe(true);
    expect((error as Error).message).toBe('retry was aborted: shutting down');
    expect(calls).toBe(0);

    const during = new AbortController();
    const started = Date.now();
    const pending = retry(() => Promise.reject(new StoreUnavailableError('busy')), {
      initialDelayMs: 60_000,
      maxDelayMs: 60_000,
      jitter: 0,
      signal: during.signal,
    });
    setTimeout(() => during.abort(), 10);
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('rejects bad options with a typed error', async () => {
    for (const options of [
      { retries: -1 },
      { retries: 1.5 },
      { initialDelayMs: -5 },
      { factor: 0.5 },
      { jitter: 2 },
      { maxDelayMs: Number.NaN },
    ]) {
      const error = await retry(() => 1, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'FACTUM_INVALID_ARGUMENT' });
    }
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_RETRY).toEqual({
      retries: 5,
      initialDelayMs: 10,
      maxDelayMs: 1000,
      factor: 2,
      jitter: 0.5,
    });
  });
});

describe('backoffDelay', () => {
  it('grows by the factor from the initial delay up to the cap', async () => {
    const { backoffDelay } = await import('factum');
    const options = { initialDelayMs: 100, factor: 2, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, options))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});
