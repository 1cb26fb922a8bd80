import type { Pool } from 'pg';
import type { StoredIdRecord } from '../../../core/idempotency.js';
import type { SchemaNames } from '../schema.js';
import { FACTUM_TYPES } from './event-row.js';

/** Why an append wrote nothing: the stream's head now, and where any of its caller ids are stored. */
export interface AppendConflict {
  head: number;
  found: Map<string, StoredIdRecord>;
}

/**
 * Run only after an append wrote nothing or hit a stored id: one statement (one snapshot) that
 * returns the stream's head, then one row per caller-given id that is already stored.
 */
export function appendConflictSql(names: SchemaNames): string {
  return `SELECT NULL::text AS event_id, NULL::text AS stream_id, coalesce(max(version), 0) AS version, NULL::bigint AS position
FROM ${names.events} WHERE stream_id = $1
UNION ALL
SELECT event_id::text, stream_id, version, position FROM ${names.events} WHERE event_id = ANY ($2::uuid[])`;
}

export async function readAppendConflict(
  pool: Pool,
  names: SchemaNames,
  sql: string,
  streamId: string,
  callerIds: readonly string[],
): Promise<AppendConflict> {
  const { rows } = await pool.query<unknown[]>({
    name: `${names.statementPrefix}append_conflict`,
    text: sql,
    values: [streamId, callerIds],
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  let head = 0;
  const found = new Map<string, StoredIdRecord>();
  for (const row of rows) {
    if (row[0] === null) {
      head = row[2] as number;
    } else {
      found.set(row[0] as string, {
        streamId: row[1] as string,
        version: row[2] as number,
        position: BigInt(row[3] as string),
      });
    }
  }
  return { head, found };
}
