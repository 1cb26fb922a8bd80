import { AbortedError, ErrorCodes, isRetriable, RetriesExhaustedError, ValidationError } from './errors.js';

/**
 * The one retry helper of Factum: exponential backoff with jitter, a cap, and a bounded number of
 * retries. Only retriable errors are retried (by default: Factum errors whose `retriable` is true);
 * any other error reaches the caller unchanged at once. When every attempt failed, the last error
 * is wrapped in a RetriesExhaustedError that says how many attempts were made and how long it took.
 */
export interface RetryOptions {
  /** Retries after the first attempt (default 5): at most `retries + 1` calls of `fn`. */
  retries?: number;
  /** Delay before the first retry, before jitter (ms, default 10). */
  initialDelayMs?: number;
  /** Upper bound of any delay (ms, default 1,000). */
  maxDelayMs?: number;
  /** Each delay is the previous one times this (default 2). */
  factor?: number;
  /**
   * Share of each delay that is random, 0..1 (default 0.5): the delay is drawn uniformly from
   * [delay × (1 − jitter), delay]. 1 is "full jitter"; 0 waits exactly the computed delay.
   */
  jitter?: number;
  /** Which errors to retry (default: `isRetriable` from the error catalog). */
  isRetriable?: (error: unknown, attempt: number) => boolean;
  /** Stops retrying (and waiting) when aborted; the call then fails with an AbortedError. */
  signal?: AbortSignal;
  /** Called before each wait, for logging or metrics. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Source of randomness in [0, 1) (tests inject a fixed one). */
  random?: () => number;
  /** How to wait (tests inject a fake). Must resolve early when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock for the elapsed time reported on exhaustion (ms). */
  now?: () => number;
}

export const DEFAULT_RETRY = {
  retries: 5,
  initialDelayMs: 10,
  maxDelayMs: 1000,
  factor: 2,
  jitter: 0.5,
} as const;

/** Calls `fn(attempt)` (attempt 1, 2, …) until it resolves, a non-retriable error occurs, or retries run out. */
export async function retry<T>(
  fn: (attempt: number) => Promise<T> | T,
  options: RetryOptions = {},
): Promise<T> {
  const retries = check('retries', options.retries ?? DEFAULT_RETRY.retries, 0, true);
  const initialDelayMs = check('initialDelayMs', options.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs, 0);
  const maxDelayMs = check('maxDelayMs', options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs, 0);
  const factor = check('factor', options.factor ?? DEFAULT_RETRY.factor, 1);
  const jitter = check('jitter', options.jitter ?? DEFAULT_RETRY.jitter, 0);
  if (jitter > 1) throw invalid('jitter', jitter, 'between 0 and 1');
  const shouldRetry = options.isRetriable ?? ((error: unknown) => isRetriable(error));
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? sleep;
  const now = options.now ?? (() => performance.now());
  const { signal } = options;

  const started = now();
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new AbortedError('retry', signal.reason);
    try {
      return await fn(attempt);
    } catch (error) {
      if (!shouldRetry(error, attempt)) throw error;
      if (attempt > retries) throw new RetriesExhaustedError(attempt, now() - started, error);
      const base = backoffDelay(attempt, { initialDelayMs, maxDelayMs, factor });
      const delayMs = base * (1 - jitter * random());
      options.onRetry?.({ attempt, delayMs, error });
      await wait(delayMs, signal);
    }
  }
}

/** The delay before retry number `retry` (1-based), before jitter. */
export function backoffDelay(
  retry: number,
  options: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'factor'> = {},
): number {
  const initial = options.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs;
  const factor = options.factor ?? DEFAULT_RETRY.factor;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  return Math.min(max, initial * factor ** Math.max(0, retry - 1));
}

/** Resolves after `ms`, or earlier when `signal` aborts (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
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

function check(field: string, value: unknown, min: number, integer = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (integer && !Number.isSafeInteger(value))
  ) {
    throw invalid(field, value, `${integer ? 'an integer' : 'a number'} >= ${min}`);
  }
  return value;
}

function invalid(field: string, value: unknown, expected: string): ValidationError {
  return new ValidationError(
    ErrorCodes.INVALID_ARGUMENT,
    field,
    `retry option ${field} must be ${expected}, got ${String(value)}`,
  );
}
