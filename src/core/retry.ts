import { isRetriable as isRetriableFactumError, RetriesExhaustedError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (so at most `retries + 1` attempts). `Infinity` retries until aborted. */
  retries: number;
  /** Delay before the first retry (ms). */
  initialDelayMs: number;
  /** Upper bound of any one delay (ms). */
  maxDelayMs: number;
  /** Each delay is the previous one times this factor (before the cap). */
  factor: number;
  /** Fraction (0..1) of each delay that is randomised: 0.2 waits between 80% and 100% of the delay. */
  jitter: number;
  /** Which errors may be retried; the default retries only Factum errors flagged `retriable`. */
  isRetriable: (error: unknown) => boolean;
  /** Stops retrying (and waiting) when aborted; the last error is then thrown as it is. */
  signal?: AbortSignal;
}

export const DEFAULT_RETRY_OPTIONS: Readonly<Omit<RetryOptions, 'signal'>> = {
  retries: 5,
  initialDelayMs: 50,
  maxDelayMs: 2000,
  factor: 2,
  jitter: 0.2,
  isRetriable: isRetriableFactumError,
};

/**
 * Runs `fn`, retrying with exponential backoff while it throws a retriable error. A non-retriable
 * error is thrown at once, unchanged. When the retries run out, throws RetriesExhaustedError naming
 * the attempts and the time spent, with the last error as its cause.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  options: Partial<RetryOptions> = {},
): Promise<T> {
  const o = { ...DEFAULT_RETRY_OPTIONS, ...options };
  const started = performance.now();
  let delay = o.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!o.isRetriable(error) || o.signal?.aborted) throw error;
      if (attempt > o.retries) {
        throw new RetriesExhaustedError('Operation', attempt, performance.now() - started, error);
      }
      const jittered = delay * (1 - o.jitter * Math.random());
      await sleep(Math.min(jittered, o.maxDelayMs), o.signal);
      if (o.signal?.aborted) throw error;
      delay = Math.min(delay * o.factor, o.maxDelayMs);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
