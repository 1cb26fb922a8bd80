import type { Pool } from 'pg';
import type { PreparedAppend } from '../../../core/validation.js';
import type { SchemaNames } from '../schema.js';
import { EVENT_COLUMNS, FACTUM_TYPES } from './event-row.js';

/** The append statements of one schema: one event (scalar parameters) and several (arrays). */
export interface AppendStatements {
  one: string;
  many: string;
}

/** Expected-version codes bound as $3 (a version n >= 0 is bound as itself; 0 is 'no_stream'). */
const ANY = -1;
const STREAM_EXISTS = -2;

/**
 * The append is one INSERT … SELECT (one round trip, one implicit transaction): it reads the stream's
 * head and inserts the events at head+1… only when the head matches the expected version. Each event's
 * position is its transaction's id * 2^16 plus its ordinal in the append. It returns the version and
 * position of the last event written, and no row when the expected version did not match. The unique (stream_id, version)
 * and (event_id) constraints catch what the statement's snapshot cannot see: a concurrent append to
 * the same stream, or an id stored already. Planned once per connection (a prepared statement).
 */
export function appendSql(names: SchemaNames): AppendStatements {
  const head = `(SELECT coalesce(max(version), 0) AS v FROM ${names.events} WHERE stream_id = $1) AS h`;
  const matches = `CASE $3::bigint WHEN ${ANY} THEN true WHEN ${STREAM_EXISTS} THEN h.v > 0 ELSE h.v = $3::bigint END`;
  const insert = `INSERT INTO ${names.events}
  (position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)`;
  return {
    one: `${insert}
SELECT pg_current_xact_id()::text::bigint * 65536 + 1, $4::uuid, $1, h.v + 1, $2, $5, $6::int,
       $7::json, $8::json, date_trunc('milliseconds', now())
FROM ${head}
WHERE ${matches}
RETURNING version, position`,
    many: `WITH w AS (
${insert}
SELECT pg_current_xact_id()::text::bigint * 65536 + e.n, e.id, $1, h.v + e.n, $2, e.type, e.schema_version,
       e.data, e.metadata, date_trunc('milliseconds', now())
FROM ${head},
     ROWS FROM (unnest($4::uuid[]), json_array_elements_text($5::json), unnest($6::int[]),
                json_array_elements($7::json), json_array_elements($8::json))
       WITH ORDINALITY AS e (id, type, schema_version, data, metadata, n)
WHERE ${matches}
RETURNING version, position
)
SELECT max(version), max(position) FROM w HAVING count(*) > 0`,
  };
}

/** What the append wrote: the version and position of its last event, or undefined (no match). */
export interface AppendWritten {
  version: number;
  position: bigint;
}

export async function appendEvents(
  pool: Pool,
  names: SchemaNames,
  statements: AppendStatements,
  append: PreparedAppend,
): Promise<AppendWritten | undefined> {
  const events = append.events;
  const expected = encodeExpected(append.expectedVersion);
  let result: { rows: unknown[][] };
  if (events.length === 1) {
    const e = events[0]!;
    result = await pool.query<unknown[]>({
      name: `${names.statementPrefix}append_one`,
      text: statements.one,
      values: [append.streamId, append.category, expected, e.id, e.type, e.schemaVersion, e.data, e.metadata],
      rowMode: 'array',
      types: FACTUM_TYPES,
    });
  } else {
    const n = events.length;
    const ids = new Array<string>(n);
    const types = new Array<string>(n);
    const schemaVersions = new Array<number>(n);
    let data = '[';
    let metadata = '[';
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      ids[i] = e.id;
      types[i] = e.type;
      schemaVersions[i] = e.schemaVersion;
      // The JSON texts are already valid JSON: joining them makes one JSON array, parsed once.
      data += i === 0 ? e.data : `,${e.data}`;
      metadata += i === 0 ? e.metadata : `,${e.metadata}`;
    }
    result = await pool.query<unknown[]>({
      name: `${names.statementPrefix}append_many`,
      text: statements.many,
      values: [
        append.streamId,
        append.category,
        expected,
        arrayLiteral(ids),
        JSON.stringify(types),
        arrayLiteral(schemaVersions),
        `${data}]`,
        `${metadata}]`,
      ],
      rowMode: 'array',
      types: FACTUM_TYPES,
    });
  }
  const last = result.rows.at(-1);
  if (last === undefined) return undefined;
  return { version: last[0] as number, position: BigInt(last[1] as string) };
}

/**
 * A PostgreSQL array literal of values that never need quoting: integers and canonical UUIDs (the
 * ids were validated by prepareAppend). Strings go as JSON arrays instead; both skip the driver's
 * per-element escaping.
 */
function arrayLiteral(values: readonly (number | string)[]): string {
  return `{${values.join(',')}}`;
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

/**
 * Several appends to distinct streams in one statement (one transaction, one commit): each append
 * checks its own stream's head against its own expected version, and only the appends that match
 * are written. Every event is numbered across the whole statement, so each append's events stay
 * contiguous in the global log. Returns one row per append written: its stream, last version and position.
 */
export function appendBatchSql(names: SchemaNames, returning: 'heads' | 'events' = 'heads'): string {
  // The heads are read once per append, before any row is inserted (MATERIALIZED keeps the planner
  // from running the head lookup once per event, against a growing index).
  return `WITH r AS MATERIALIZED (
  SELECT q.a, q.stream_id, q.category, h.v
  FROM ROWS FROM (json_array_elements_text($1::json), json_array_elements_text($2::json), unnest($3::bigint[]))
         WITH ORDINALITY AS q (stream_id, category, expected, a)
  CROSS JOIN LATERAL (SELECT coalesce(max(version), 0) AS v FROM ${names.events} WHERE stream_id = q.stream_id) AS h
  WHERE CASE q.expected WHEN ${ANY} THEN true WHEN ${STREAM_EXISTS} THEN h.v > 0 ELSE h.v = q.expected END
), w AS (
INSERT INTO ${names.events}
  (position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
SELECT pg_current_xact_id()::text::bigint * 65536 + e.n, e.id, r.stream_id, r.v + e.k, r.category, e.type,
       e.schema_version, e.data, e.metadata, date_trunc('milliseconds', now())
FROM ROWS FROM (unnest($4::int[]), unnest($5::int[]), unnest($6::uuid[]), json_array_elements_text($7::json),
                unnest($8::int[]),
                json_array_elements($9::json), json_array_elements($10::json))
       WITH ORDINALITY AS e (a, k, id, type, schema_version, data, metadata, n)
JOIN r ON r.a = e.a
RETURNING ${returning === 'heads' ? 'stream_id, version, position' : EVENT_COLUMNS}
)
${returning === 'heads' ? 'SELECT stream_id, max(version), max(position) FROM w GROUP BY stream_id' : 'SELECT * FROM w ORDER BY position'}`;
}

/** The parameters of the batch statement. */
export function appendBatchValues(appends: readonly PreparedAppend[]): unknown[] {
  const streamIds: string[] = [];
  const categories: string[] = [];
  const expected: number[] = [];
  const owner: number[] = [];
  const ordinal: number[] = [];
  const ids: string[] = [];
  const types: string[] = [];
  const schemaVersions: number[] = [];
  let data = '[';
  let metadata = '[';
  let first = true;
  for (let a = 0; a < appends.length; a++) {
    const append = appends[a]!;
    streamIds.push(append.streamId);
    categories.push(append.category);
    expected.push(encodeExpected(append.expectedVersion));
    for (let k = 0; k < append.events.length; k++) {
      const e = append.events[k]!;
      owner.push(a + 1);
      ordinal.push(k + 1);
      ids.push(e.id);
      types.push(e.type);
      schemaVersions.push(e.schemaVersion);
      data += first ? e.data : `,${e.data}`;
      metadata += first ? e.metadata : `,${e.metadata}`;
      first = false;
    }
  }
  return [
    JSON.stringify(streamIds),
    JSON.stringify(categories),
    arrayLiteral(expected),
    arrayLiteral(owner),
    arrayLiteral(ordinal),
    arrayLiteral(ids),
    JSON.stringify(types),
    arrayLiteral(schemaVersions),
    `${data}]`,
    `${metadata}]`,
  ];
}

/** Runs the batch statement; returns, per stream written, the version and position of its last event. */
export async function appendBatch(
  pool: Pool,
  names: SchemaNames,
  sql: string,
  appends: readonly PreparedAppend[],
): Promise<Map<string, AppendWritten>> {
  const result = await pool.query<unknown[]>({
    name: `${names.statementPrefix}append_batch`,
    text: sql,
    values: appendBatchValues(appends),
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  const written = new Map<string, AppendWritten>();
  for (const row of result.rows) {
    written.set(row[0] as string, { version: row[1] as number, position: BigInt(row[2] as string) });
  }
  return written;
}
