/**
 * What the operator surface reads from a store beyond the EventStore contract: the streams (by
 * prefix or category, in stream-id order), one event by id, and every event of one correlation id.
 * One implementation per database; the memory store is read through the contract alone.
 */
import type { StoredEvent } from '../../core/envelope.js';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import { formatValue } from '../../core/format.js';
import type { ReadAllOptions } from '../../core/store.js';

/** One stream as the stream browser lists it. */
export interface StreamSummary {
  streamId: string;
  category: string;
  /** The stream's version: its number of events. */
  version: number;
  /** Position of the stream's last event. */
  lastPosition: bigint;
  /** When the stream's last event was recorded. */
  updatedAt: Date;
}

export interface StreamQuery {
  /** Only streams whose id starts with this. */
  prefix?: string;
  /** Only streams of this category ('order' for 'order-42'). */
  category?: string;
  /** Exclusive: only streams whose id sorts after this one (the cursor of the previous page). */
  after?: string;
  /** At most this many (default 50, at most 500). */
  limit?: number;
}

export interface StreamPage {
  streams: StreamSummary[];
  /** The `after` of the next page; undefined when this page is the last. */
  next: string | undefined;
}

export interface CorrelationQuery {
  /** Exclusive: only events after this position. */
  after?: bigint;
  /** At most this many (default 1,000, at most 5,000). */
  limit?: number;
}

/** The reads of the operator surface on one store. */
export interface StoreBrowser {
  listStreams(query?: StreamQuery): Promise<StreamPage>;
  /** One event by its id; undefined when the store has none. */
  readEvent(id: string): Promise<StoredEvent | undefined>;
  /**
   * The events of one business flow, in log order: those whose metadata's correlationId is `id`, and
   * the event whose id is `id` (the first event of a flow carries no correlationId of its own).
   */
  readCorrelation(id: string, query?: CorrelationQuery): Promise<StoredEvent[]>;
  /** The last `limit` events of the log (at most 1,000), oldest first: where a tail starts. */
  tail(limit: number): Promise<StoredEvent[]>;
  /**
   * Where the database keeps each event's data and metadata as the JSON text that was appended: a
   * page of the log (as `readAll` reads it) already written as the API's JSON array of events, the
   * stored JSON spliced in rather than parsed and written again.
   */
  readLogJson?(options: ReadAllOptions): Promise<{ json: string; last: bigint }>;
  /** The same for a stream's events (as `readStream` reads them, without `until`). */
  readStreamJson?(
    streamId: string,
    options: { direction: 'forward' | 'backward'; fromVersion?: number; limit: number },
  ): Promise<{ json: string; version: number; count: number; lastVersion: number | undefined }>;
}

/** One event of the API (see eventJson) from its columns, the stored data and metadata spliced in as they are. */
export function eventJsonText(
  id: string,
  streamId: string,
  category: string,
  version: number,
  position: bigint | number | string,
  type: string,
  schemaVersion: number,
  recordedAt: number,
  data: string,
  metadata: string,
): string {
  return `{"id":"${id}","streamId":${JSON.stringify(streamId)},"category":${JSON.stringify(category)},"version":${version},"position":"${position}","type":${JSON.stringify(type)},"schemaVersion":${schemaVersion},"timestamp":"${new Date(recordedAt).toISOString()}","data":${data},"metadata":${metadata}}`;
}

export const MAX_TAIL = 1_000;

export const MAX_STREAM_PAGE = 500;
export const MAX_CORRELATION_PAGE = 5_000;

/** The limit of a page: default when absent, refused when not a positive integer, capped at `max`. */
export function pageLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'limit',
      `limit must be a positive integer, got ${formatValue(limit)}`,
    );
  }
  return Math.min(limit, max);
}

/**
 * The stream-id range of a query: [from, to) for a prefix (a category is the prefix `category-`,
 * plus the stream named exactly `category`).
 */
export function streamRange(query: StreamQuery): { prefix: string | undefined; exact: string | undefined } {
  if (query.prefix !== undefined && query.category !== undefined) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'category',
      'give a prefix or a category, not both',
    );
  }
  if (query.category !== undefined) return { prefix: `${query.category}-`, exact: query.category };
  return { prefix: query.prefix === '' ? undefined : query.prefix, exact: undefined };
}

/** The smallest string greater than every string that starts with `prefix`. */
export function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}
