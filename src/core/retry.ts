import { ErrorCodes, FactumError, isRetriable as isRetriableFactumError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (default 5): at most `retries + 1` attempts in all. */
  retries?: number;
  /** Delay before the first retry (ms, default 100). */
  initialDelayMs?: number;
  /** Upper bound of any one delay (ms, default 10,000). */
  maxDelayMs?: number;
  /** Each delay is the previous one times this (default 2). */
  factor?: number;
  /** Random spread applied to each delay, 0–1 (default 0.2: ±20 %). */
  jitter?: number;
  /** Which errors are worth another attempt (default: Factum errors marked retriable). */
  isRetriable?: (error: unknown, attempt: number) => boolean;
  /** Stops waiting and retrying; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The delay before retry number `retry` (1-based), without jitter. */
export function backoffDelay(
  retry: number,
  options: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'factor'> = {},
): number {
  const initial = options.initialDelayMs ?? 100;
  const factor = options.factor ?? 2;
  const max = options.maxDelayMs ?? 10_000;
  return Math.min(max, initial * factor ** Math.max(0, retry - 1));
}

/**
 * Runs `fn` until it succeeds, retrying only errors that `isRetriable` accepts, with exponential
 * backoff and jitter between attempts. A non-retriable error is rethrown as it is; running out of
 * retries throws FACTUM_RETRIES_EXHAUSTED naming the attempts and the time spent, with the last
 * error as its cause.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 5;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const isRetriable = options.isRetriable ?? ((error: unknown) => isRetriableFactumError(error));
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (!isRetriable(error, attempt)) throw error;
      if (attempt > retries) {
        const elapsed = Date.now() - started;
        throw new FactumError(
          ErrorCodes.RETRIES_EXHAUSTED,
          `Gave up after ${attempt} attempts in ${elapsed} ms: ${describe(error)}`,
          { cause: error },
        );
      }
      const base = backoffDelay(attempt, options);
      await sleep(base * (1 + jitter * (Math.random() * 2 - 1)), options.signal);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
