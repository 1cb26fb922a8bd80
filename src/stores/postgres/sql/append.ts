import type { Pool } from 'pg';
import type { StoredIdRecord } from '../../../core/idempotency.js';
import type { PreparedAppend } from '../../../core/validation.js';
import type { SchemaNames } from '../schema.js';
import { FACTUM_TYPES } from './event-row.js';

/** What one append statement found and did. */
export interface AppendOutcome {
  /** The stream's version before the append (0: no stream). */
  head: number;
  /** Position of the last event written; undefined when nothing was written. */
  position: bigint | undefined;
  /** Where the append's caller-given ids are already stored (empty when none is). */
  found: Map<string, StoredIdRecord>;
}

const ANY = -1;
const STREAM_EXISTS = -2;

/**
 * The whole append in one statement (one round trip, one implicit transaction): read the stream's
 * head, look up caller-given ids, and insert every event only when no id is already stored and the
 * head matches the expected version. Each event's position is the transaction id * 2^16 plus its
 * ordinal in the append. The unique (stream_id, version) and (event_id) constraints catch the races
 * the snapshot cannot see; the caller re-runs the statement after such a violation.
 */
export function appendSql(names: SchemaNames): string {
  return `WITH head AS (
  SELECT coalesce(max(version), 0) AS v FROM ${names.events} WHERE stream_id = $1
), found AS (
  SELECT event_id, stream_id, version, position FROM ${names.events} WHERE event_id = ANY ($4::uuid[])
), written AS (
  INSERT INTO ${names.events}
    (position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
  SELECT pg_current_xact_id()::text::bigint * 65536 + e.n, e.id, $1, head.v + e.n, $2, e.type,
         e.schema_version, e.data, e.metadata, date_trunc('milliseconds', now())
  FROM head, unnest($5::uuid[], $6::text[], $7::int[], $8::jsonb[], $9::jsonb[])
       WITH ORDINALITY AS e (id, type, schema_version, data, metadata, n)
  WHERE NOT EXISTS (SELECT FROM found)
    AND CASE $3::bigint WHEN ${ANY} THEN true WHEN ${STREAM_EXISTS} THEN head.v > 0 ELSE head.v = $3::bigint END
  RETURNING position
)
SELECT true AS head, head.v AS version, (SELECT max(position) FROM written) AS position,
       NULL::text AS event_id, NULL::text AS stream_id
FROM head
UNION ALL
SELECT false, version, position, event_id::text, stream_id FROM found`;
}

/** Runs the append statement on any connection of the pool. */
export async function appendEvents(
  pool: Pool,
  names: SchemaNames,
  append: PreparedAppend,
  sql: string,
): Promise<AppendOutcome> {
  const events = append.events;
  const n = events.length;
  const ids = new Array<string>(n);
  const types = new Array<string>(n);
  const schemaVersions = new Array<number>(n);
  const data = new Array<string>(n);
  const metadata = new Array<string>(n);
  const callerIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    ids[i] = e.id;
    types[i] = e.type;
    schemaVersions[i] = e.schemaVersion;
    data[i] = e.data;
    metadata[i] = e.metadata;
    if (e.callerId) callerIds.push(e.id);
  }
  const result = await pool.query<unknown[]>({
    name: `${names.statementPrefix}append`,
    text: sql,
    values: [
      append.streamId,
      append.category,
      encodeExpected(append.expectedVersion),
      callerIds,
      ids,
      types,
      schemaVersions,
      data,
      metadata,
    ],
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  let head = 0;
  let position: bigint | undefined;
  const found = new Map<string, StoredIdRecord>();
  for (const row of result.rows) {
    if (row[0] === true) {
      head = row[1] as number;
      position = row[2] === null ? undefined : BigInt(row[2] as string);
    } else {
      found.set(row[3] as string, {
        streamId: row[4] as string,
        version: row[1] as number,
        position: BigInt(row[2] as string),
      });
    }
  }
  return { head, position, found };
}

function encodeExpected(expected: PreparedAppend['expectedVersion']): number {
  switch (expected) {
    case undefined:
    case 'any':
      return ANY;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'no_stream':
      return 0;
    default:
      return expected;
  }
}
