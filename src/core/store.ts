import type { NewEvent, StoredEvent } from './envelope.js';
import { ErrorCodes, ValidationError } from './errors.js';
import type { ExpectedVersion } from './expected-version.js';
import { formatValue } from './format.js';
import type { RetryOptions } from './retry.js';
import { unstorableText } from './validation.js';

export interface AppendOptions {
  /** Defaults to 'any'. A number is exact; 0 ≡ 'no_stream'. */
  expectedVersion?: ExpectedVersion;
}

export interface AppendResult {
  /** The stream's version after the append: pass it as the next expectedVersion. */
  nextExpectedVersion: number;
  /** Global position of the last event appended. */
  position: bigint;
}

export interface ReadStreamOptions {
  /** First version to return (inclusive). Forward reads start at 1, backward reads at the head by default. */
  fromVersion?: number;
  /** Last version to return (inclusive): the stream as it was at that version. */
  toVersion?: number;
  /** Only events recorded at or before this instant: the stream as it was then. */
  until?: Date;
  direction?: 'forward' | 'backward';
  limit?: number;
}

export interface StreamRead<E extends StoredEvent = StoredEvent> {
  events: E[];
  /** The stream's current version (0 when it does not exist), whatever the filters. */
  version: number;
  exists: boolean;
}

export interface ReadAllOptions {
  /**
   * Exclusive: only events after this position. Omit (or 0n) to start at the beginning. A position
   * is a bigint from 0 to 2^63−1 (MAX_POSITION); anything else is refused.
   */
  after?: bigint;
  /** Page size; defaults to 1,000. */
  limit?: number;
  /** Only these event types. */
  types?: readonly string[];
  /** Only these stream categories ('order' for 'order-42'). */
  categories?: readonly string[];
}

export interface AllRead<E extends StoredEvent = StoredEvent> {
  events: E[];
  /** Pass as `after` to read the next page. Equals `after` when the page is empty. */
  last: bigint;
}

export interface SubscribeOptions {
  /** Exclusive, as in readAll: a bigint from 0 to 2^63−1 (MAX_POSITION). */
  after?: bigint;
  types?: readonly string[];
  categories?: readonly string[];
  /** Events fetched per catch-up page (default 500). */
  batchSize?: number;
  /** Called once when the subscription stops because of an error (a handler throw or a store failure). */
  onError?: (error: Error) => void;
  /**
   * How reads that fail with a retriable error (the database restarting, a lost connection) are
   * retried before the subscription gives up. Default: retry until unsubscribed, backing off to 2 s.
   */
  retry?: Omit<RetryOptions, 'signal'>;
}

export interface SubscriptionStatus {
  state: 'catching-up' | 'live' | 'stopped' | 'failed';
  /** Position of the last event the handler finished. */
  position: bigint;
  /** The error that stopped the subscription, if any. */
  error?: Error;
  /**
   * Only on stores whose global log can be held back by in-flight transactions (PostgreSQL): how long
   * committed events have been waiting behind an older transaction that has not finished yet. Absent
   * (or 0) when nothing is held back. A stuck transaction shows up here as growing lag, never as a skip.
   */
  heldBackMs?: number;
  /** When the current hold began (absent when nothing is held back). */
  heldBackSince?: Date;
  /** Present while reads fail with a retriable error and the subscription is retrying them. */
  unavailable?: { since: Date; attempts: number; error: Error };
}

export interface Subscription {
  /** Stops delivering events; resolves once the handler in progress (if any) has finished. */
  unsubscribe(): Promise<void>;
  /** Resolves when the subscription stops normally, rejects with the error that stopped it. */
  readonly done: Promise<void>;
  status(): SubscriptionStatus;
}

export type EventHandler = (event: StoredEvent) => Promise<void> | void;

/** The event store contract every store implements; one conformance suite proves it for each. */
export interface EventStore {
  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StreamRead>;
  readAll(options?: ReadAllOptions): Promise<AllRead>;
  /** Catch up from `after`, then stay live. The handler sees each event once, in position order. */
  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription;
  close(): Promise<void>;
}

export const DEFAULT_READ_ALL_LIMIT = 1000;

/** Normalised read-stream options; throws ValidationError on bad values. */
export function checkReadStreamOptions(
  options: ReadStreamOptions | undefined,
): Required<Pick<ReadStreamOptions, 'direction'>> & Omit<ReadStreamOptions, 'direction'> {
  const o = options ?? {};
  if (o.fromVersion !== undefined) checkPositiveInt('fromVersion', o.fromVersion, 0);
  if (o.toVersion !== undefined) checkPositiveInt('toVersion', o.toVersion, 0);
  if (o.limit !== undefined) checkPositiveInt('limit', o.limit, 1);
  if (o.until !== undefined && (!(o.until instanceof Date) || Number.isNaN(o.until.getTime()))) {
    throw new ValidationError(ErrorCodes.INVALID_ARGUMENT, 'until', 'until must be a valid Date');
  }
  const direction = o.direction ?? 'forward';
  if (direction !== 'forward' && direction !== 'backward') {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'direction',
      `direction must be 'forward' or 'backward', got ${formatValue(direction)}`,
    );
  }
  return { ...o, direction };
}

export interface CheckedReadAllOptions {
  after: bigint;
  limit: number;
  types: readonly string[] | undefined;
  categories: readonly string[] | undefined;
}

/**
 * The largest position any store hands out or accepts: 2^63−1, the top of a signed 64-bit integer,
 * which is what SQLite's rowid and PostgreSQL's bigint hold.
 */
export const MAX_POSITION = 2n ** 63n - 1n;

/** Throws a ValidationError (FACTUM_INVALID_ARGUMENT) naming `value` unless it is a bigint in 0..MAX_POSITION. */
export function checkPosition(field: string, value: unknown): asserts value is bigint {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_POSITION) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      field,
      `${field} must be a bigint position from 0n to ${MAX_POSITION}n (2^63−1), got ${formatValue(value)}`,
    );
  }
}

export function checkReadAllOptions(options: ReadAllOptions | undefined): CheckedReadAllOptions {
  const o = options ?? {};
  const after = o.after ?? 0n;
  checkPosition('after', after);
  const limit = o.limit ?? DEFAULT_READ_ALL_LIMIT;
  checkPositiveInt('limit', limit, 1);
  return {
    after,
    limit,
    types: checkStringList('types', o.types),
    categories: checkStringList('categories', o.categories),
  };
}

/** A list of types or categories to filter on: non-empty strings that a stored event could carry. */
function checkStringList(field: string, list: readonly string[] | undefined): readonly string[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      field,
      `${field} must be an array of non-empty strings`,
    );
  }
  for (let i = 0; i < list.length; i++) {
    const unstorable = unstorableText(list[i]);
    if (unstorable !== undefined) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        field,
        `${field}[${i}] ${formatValue(list[i])}: ${unstorable}`,
      );
    }
  }
  return list;
}

function checkPositiveInt(field: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      field,
      `${field} must be an integer >= ${min}, got ${formatValue(value)}`,
    );
  }
}
