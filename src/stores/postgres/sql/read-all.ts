import type { Pool } from 'pg';
import type { StoredEvent } from '../../../core/envelope.js';
import type { SchemaNames } from '../schema.js';
import {
  EVENT_COLUMNS,
  FACTUM_TYPES,
  FACTUM_TYPES_JSON_AS_TEXT,
  toEventWithStoredData,
  toStoredEvent,
} from './event-row.js';

/** One page of the global log, with what the reader's snapshot said about in-flight transactions. */
export interface LogPage {
  events: StoredEvent[];
  /**
   * Readers see every event below this position and none at or above it: the oldest transaction
   * still running when the page was read, times 2^16. It only ever grows.
   */
  horizon: bigint;
  /** Whether committed events exist at or above the horizon, waiting for an older transaction. */
  heldBack: boolean;
}

/**
 * Reads the global log after a position, in position order, only below the horizon: events of a
 * transaction older than the oldest one still running. A transaction that is still running (or
 * that has not started yet) can only write positions at or above the horizon, so a reader that has
 * passed a position never sees a new event appear behind it. Filters are bound arrays (NULL: no
 * filter), so one prepared statement serves every read. Always returns at least one row: the
 * horizon, joined with the page's events when there are any.
 */
// held_back asks max(position) (the primary key's last entry) rather than EXISTS (… position >=
// horizon): without planner statistics (a freshly filled table, autovacuum off) PostgreSQL plans that
// EXISTS as a scan of the whole table, on every page read.
export function readAllSql(names: SchemaNames): string {
  return `SELECT h.horizon, h.held_back, e.*
FROM (
  SELECT x.horizon, coalesce((SELECT max(position) FROM ${names.events}) >= x.horizon, false) AS held_back
  FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint * 65536 AS horizon) AS x
) AS h
LEFT JOIN LATERAL (
  SELECT ${EVENT_COLUMNS}
  FROM ${names.events}
  WHERE position > $1 AND position < h.horizon
    AND ($3::text[] IS NULL OR type = ANY ($3::text[]))
    AND ($4::text[] IS NULL OR category = ANY ($4::text[]))
  ORDER BY position
  LIMIT $2
) AS e ON true`;
}

/**
 * Reads one page of the log (readAllSql). `storedData`: the events keep their data JSON as stored
 * (toEventWithStoredData: the relay's reads); the same prepared statement, only the row decoding differs.
 */
export async function readLog(
  pool: Pool,
  names: SchemaNames,
  sql: string,
  after: bigint,
  limit: number,
  types: readonly string[] | undefined,
  categories: readonly string[] | undefined,
  storedData = false,
): Promise<LogPage> {
  const result = await pool.query<unknown[]>({
    name: `${names.statementPrefix}read_all`,
    text: sql,
    values: [after.toString(), limit, types ?? null, categories ?? null],
    rowMode: 'array',
    types: storedData ? FACTUM_TYPES_JSON_AS_TEXT : FACTUM_TYPES,
  });
  const rows = result.rows;
  const first = rows[0];
  if (first === undefined) return { events: [], horizon: 0n, heldBack: false };
  const events: StoredEvent[] = [];
  if (first[2] !== null) {
    const toEvent = storedData ? toEventWithStoredData : toStoredEvent;
    for (const row of rows) events.push(toEvent(row, 2));
  }
  return { events, horizon: BigInt(first[0] as string), heldBack: first[1] === true };
}
