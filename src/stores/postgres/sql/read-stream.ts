import type { Pool } from 'pg';
import type { StoredEvent } from '../../../core/envelope.js';
import type { StreamRead } from '../../../core/store.js';
import type { SchemaNames } from '../schema.js';
import { EVENT_COLUMNS, FACTUM_TYPES, toStoredEvent } from './event-row.js';

export interface ReadStreamQuery {
  fromVersion: number | undefined;
  toVersion: number | undefined;
  until: Date | undefined;
  direction: 'forward' | 'backward';
  limit: number | undefined;
}

/**
 * Reads one stream in version order together with its current version, from one snapshot. Absent
 * filters are NULL parameters, so there is one prepared statement per direction. Always returns at
 * least one row: the head version, joined with the matching events when there are any.
 */
export function readStreamSql(names: SchemaNames, direction: 'forward' | 'backward'): string {
  const backward = direction === 'backward';
  return `SELECT h.v, e.*
FROM (SELECT max(version) AS v FROM ${names.events} WHERE stream_id = $1) AS h
LEFT JOIN LATERAL (
  SELECT ${EVENT_COLUMNS}
  FROM ${names.events}
  WHERE stream_id = $1
    AND ($2::int IS NULL OR version ${backward ? '<=' : '>='} $2::int)
    AND ($3::int IS NULL OR version <= $3::int)
    AND ($4::timestamptz IS NULL OR recorded_at <= $4::timestamptz)
  ORDER BY version ${backward ? 'DESC' : 'ASC'}
  LIMIT $5
) AS e ON h.v IS NOT NULL`;
}

export async function readStreamEvents(
  pool: Pool,
  names: SchemaNames,
  sql: string,
  streamId: string,
  q: ReadStreamQuery,
): Promise<StreamRead> {
  const result = await pool.query<unknown[]>({
    name: `${names.statementPrefix}read_stream_${q.direction}`,
    text: sql,
    values: [
      streamId,
      clampVersion(q.fromVersion),
      clampVersion(q.toVersion),
      q.until === undefined ? null : q.until.toISOString(),
      q.limit ?? null,
    ],
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  const first = result.rows[0];
  const version = (first?.[0] as number | null | undefined) ?? 0;
  if (version === 0) return { events: [], version: 0, exists: false };
  const events: StoredEvent[] = [];
  if (first?.[1] !== null) {
    for (const row of result.rows) events.push(toStoredEvent(row, 1));
  }
  return { events, version, exists: true };
}

/** Versions are int4 in the table; a larger bound selects the same rows as int4's maximum. */
function clampVersion(version: number | undefined): number | null {
  return version === undefined ? null : Math.min(version, 2_147_483_647);
}
