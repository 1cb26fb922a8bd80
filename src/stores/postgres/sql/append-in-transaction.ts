import type { PoolClient } from 'pg';
import type { StoredEvent } from '../../../core/envelope.js';
import type { PreparedAppend } from '../../../core/validation.js';
import type { SchemaNames } from '../schema.js';
import { ANY, arrayLiteral, encodeExpected, STREAM_EXISTS } from './append.js';
import { EVENT_COLUMNS, FACTUM_TYPES, toStoredEvent } from './event-row.js';

/**
 * One append inside an explicit transaction that may carry several: like the single append statement,
 * but each event's position is the transaction id * 2^16 + `$9` (the events the transaction wrote
 * before this append) + its ordinal, so appends sharing a transaction never collide, and it returns
 * the stored events themselves (for the hooks that run next in the same transaction).
 */
export function appendInTransactionSql(names: SchemaNames): string {
  const head = `(SELECT coalesce(max(version), 0) AS v FROM ${names.events} WHERE stream_id = $1) AS h`;
  return `INSERT INTO ${names.events}
  (position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
SELECT pg_current_xact_id()::text::bigint * 65536 + $9::int + e.n, e.id, $1, h.v + e.n, $2, e.type,
       e.schema_version, e.data, e.metadata, date_trunc('milliseconds', now())
FROM ${head},
     ROWS FROM (unnest($4::uuid[]), json_array_elements_text($5::json), unnest($6::int[]),
                json_array_elements($7::json), json_array_elements($8::json))
       WITH ORDINALITY AS e (id, type, schema_version, data, metadata, n)
WHERE CASE $3::bigint WHEN ${ANY} THEN true WHEN ${STREAM_EXISTS} THEN h.v > 0 ELSE h.v = $3::bigint END
RETURNING ${EVENT_COLUMNS}`;
}

/** Writes one append in the client's open transaction; returns its stored events (none: the expected version did not match). */
export async function appendInTransaction(
  client: PoolClient,
  names: SchemaNames,
  sql: string,
  append: PreparedAppend,
  offset: number,
): Promise<StoredEvent[]> {
  const result = await client.query<unknown[]>({
    name: `${names.statementPrefix}append_in_tx`,
    text: sql,
    values: [
      append.streamId,
      append.category,
      encodeExpected(append.expectedVersion),
      arrayLiteral(append.events.map((e) => e.id)),
      JSON.stringify(append.events.map((e) => e.type)),
      arrayLiteral(append.events.map((e) => e.schemaVersion)),
      `[${append.events.map((e) => e.data).join(',')}]`,
      `[${append.events.map((e) => e.metadata).join(',')}]`,
      offset,
    ],
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  const events = result.rows.map((row) => toStoredEvent(row));
  events.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
  return events;
}
