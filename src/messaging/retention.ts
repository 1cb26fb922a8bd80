/**
 * Retention of the messaging tables: published outbox rows and inbox records are deleted in bounded
 * batches (one short transaction each), and optionally in the background at an interval.
 */
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { sleep } from '../core/retry.js';

/** What `prune` deletes: rows older than `olderThan`, at most `batchSize` per transaction. */
export interface PruneOptions {
  /**
   * An age in milliseconds (rows older than that many ms before now) or a cutoff `Date` (rows older
   * than that instant). Outbox: how long ago a row was published; inbox: how long ago the event was
   * processed.
   */
  olderThan: number | Date;
  /** Rows looked at (and so at most deleted) per transaction (default 1,000, at most 10,000). */
  batchSize?: number;
  /** Stops between two batches; the call then resolves with the rows deleted so far. */
  signal?: AbortSignal;
}

export interface InboxPruneOptions extends PruneOptions {
  /** Only this consumer's records (default: every consumer's). */
  consumer?: string;
}

export const DEFAULT_PRUNE_BATCH_SIZE = 1_000;
export const MAX_PRUNE_BATCH_SIZE = 10_000;

/** Published outbox rows are kept 7 days by default (the relay's background retention). */
export const DEFAULT_OUTBOX_RETENTION_MS = 7 * 24 * 3_600_000;
/** The dedup window suggested for inboxes: 30 days, twice SQS's 14-day maximum retention. */
export const DEFAULT_INBOX_KEEP_MS = 30 * 24 * 3_600_000;
/** How often background retention runs by default. */
export const DEFAULT_RETENTION_EVERY_MS = 3_600_000;

export interface ResolvedPrune {
  /** Rows older than this instant (ms since the epoch) are deleted. */
  cutoff: number;
  batchSize: number;
}

/** Checks prune options and turns them into a cutoff instant; bad values throw a ValidationError. */
export function resolvePrune(options: PruneOptions, now: number = Date.now()): ResolvedPrune {
  if (typeof options !== 'object' || options === null) {
    throw invalid('options', options, 'an object with olderThan');
  }
  const { olderThan } = options;
  let cutoff: number;
  if (olderThan instanceof Date) {
    cutoff = olderThan.getTime();
    if (!Number.isFinite(cutoff)) throw invalid('olderThan', olderThan, 'a valid Date');
  } else if (typeof olderThan === 'number' && Number.isFinite(olderThan) && olderThan >= 0) {
    cutoff = now - olderThan;
  } else {
    throw invalid('olderThan', olderThan, 'a number of milliseconds ≥ 0 or a Date');
  }
  const batchSize = options.batchSize ?? DEFAULT_PRUNE_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_PRUNE_BATCH_SIZE) {
    throw invalid('batchSize', batchSize, `an integer from 1 to ${MAX_PRUNE_BATCH_SIZE}`);
  }
  return { cutoff, batchSize };
}

/** One batch of a prune: deleted rows, and whether the walk is over. */
export interface PruneStep<Cursor> {
  deleted: number;
  /** Where the next batch starts; undefined when there is nothing more to look at. */
  next: Cursor | undefined;
}

/**
 * Runs `step` from `start` until it reports the end or `signal` aborts; each step is one transaction
 * of the storage. Returns the rows deleted in all.
 */
export async function pruneInSteps<Cursor>(
  start: Cursor,
  step: (cursor: Cursor) => Promise<PruneStep<Cursor>>,
  signal: AbortSignal | undefined,
): Promise<number> {
  let deleted = 0;
  let cursor: Cursor | undefined = start;
  while (cursor !== undefined && signal?.aborted !== true) {
    const result = await step(cursor);
    deleted += result.deleted;
    cursor = result.next;
  }
  return deleted;
}

/** Background retention: which rows, how often, and where failures go. */
export interface BackgroundPrune {
  /** Runs one prune; resolves with the rows it deleted. */
  prune: (signal: AbortSignal) => Promise<number>;
  everyMs: number;
  /** Whether to prune now (e.g. only while a relay holds its lease); checked again every 100 ms. */
  active?: () => boolean;
  onPruned?: (deleted: number) => void;
  /** A failed prune: reported here, never thrown; the next run comes `everyMs` later. */
  onError?: (error: Error) => void;
}

/** Starts pruning at once (when active) and then every `everyMs`, until `signal` aborts; never rejects. */
export function runInBackground(options: BackgroundPrune, signal: AbortSignal): Promise<void> {
  const loop = async () => {
    while (!signal.aborted) {
      if (options.active !== undefined && !options.active()) {
        await sleep(Math.min(options.everyMs, 100), signal);
        continue;
      }
      try {
        const deleted = await options.prune(signal);
        if (!signal.aborted) options.onPruned?.(deleted);
      } catch (error) {
        if (!signal.aborted) {
          try {
            options.onError?.(error instanceof Error ? error : new Error(String(error)));
          } catch {
            // A throwing listener must not stop retention.
          }
        }
      }
      await sleep(options.everyMs, signal);
    }
  };
  return loop().catch(() => {});
}

/** The longest interval a timer can wait (about 24.8 days). */
const MAX_EVERY_MS = 2 ** 31 - 1;

/** Checks a background retention interval. */
export function checkEvery(field: string, everyMs: unknown): number {
  if (
    typeof everyMs !== 'number' ||
    !Number.isSafeInteger(everyMs) ||
    everyMs < 1 ||
    everyMs > MAX_EVERY_MS
  ) {
    throw invalid(
      field,
      everyMs,
      `an integer number of milliseconds from 1 to ${MAX_EVERY_MS} (a timer's limit)`,
    );
  }
  return everyMs;
}

/** Checks a retention age (keepMs, publishedMs). */
export function checkAge(field: string, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw invalid(field, ms, 'a number of milliseconds ≥ 0');
  }
  return ms;
}

/** Checks the optional consumer name of an inbox prune. */
export function checkConsumer(consumer: unknown): string | undefined {
  if (consumer === undefined) return undefined;
  if (typeof consumer !== 'string' || consumer.length === 0)
    throw invalid('consumer', consumer, 'a non-empty string');
  return consumer;
}

function invalid(field: string, value: unknown, expected: string): ValidationError {
  const shown =
    value instanceof Date ? String(value) : typeof value === 'string' ? `'${value}'` : String(value);
  return new ValidationError(
    ErrorCodes.INVALID_ARGUMENT,
    field,
    `${field} must be ${expected}, got ${shown}`,
  );
}
