import type { Pool } from 'pg';
import type { StoredIdRecord } from '../../../core/idempotency.js';
import type { PreparedAppend } from '../../../core/validation.js';
import type { SchemaNames } from '../schema.js';
import { expectedVersionParameter, expectedVersionSql } from './append-expected-version.js';
import { EVENT_COLUMNS, FACTUM_TYPES } from './event-row.js';

/**
 * The append statements of one schema: one event (scalar parameters) and several (arrays), each in
 * two shapes. Without caller-given ids (the usual append) the plain statement inserts and returns the
 * last event written, or no row when the expected version did not hold; then `head` reads the
 * stream's version for the error (a second round trip, on a conflict only). With caller-given ids the
 * checked statement also looks those ids up and answers every case in one round trip.
 */
export interface AppendStatements {
  one: string;
  many: string;
  checkedOne: string;
  checkedMany: string;
  head: string;
}

/** The append wrote its events: the version and position of the last one. */
export interface AppendWritten {
  written: true;
  version: number;
  position: bigint;
}

/**
 * The append wrote nothing: the stream's version (`head`) the statement saw did not satisfy the
 * expected version, or some of the append's caller-given ids were stored already (`found`: where).
 */
export interface AppendRefused {
  written: false;
  head: number;
  found: Map<string, StoredIdRecord>;
}

/** What one append statement did with one append. */
export type AppendOutcome = AppendWritten | AppendRefused;

const INSERT_COLUMNS =
  '(position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)';

/** What an append with caller-given ids must look up: those ids, to find a retry or a duplicate. */
function checkedIds(append: PreparedAppend): string[] {
  return append.hasCallerIds ? append.events.filter((e) => e.callerId).map((e) => e.id) : [];
}

/**
 * The single append is one statement (one round trip, one implicit transaction): it reads the
 * stream's head and the caller-given ids already stored, and inserts the events at head+1… only when
 * the head satisfies the expected version and none of the ids is stored. Each event's position is its
 * transaction's id * 2^16 plus its ordinal in the append. A refused append learns why from the same
 * statement: it returns the head and the stored ids. The unique (stream_id, version) and (event_id)
 * constraints catch what the statement's snapshot cannot see: a concurrent append to the same
 * stream, or the same id appended concurrently. Planned once per connection (a prepared statement).
 */
export function appendSql(names: SchemaNames): AppendStatements {
  const head = `(SELECT coalesce(max(version), 0) AS v FROM ${names.events} WHERE stream_id = $1)`;
  const lookups = `WITH h AS MATERIALIZED ${head},
s AS MATERIALIZED (SELECT position, event_id, stream_id, version FROM ${names.events} WHERE event_id = ANY ($9::uuid[]))`;
  const matches = expectedVersionSql('h.v', '$3::bigint');
  const outcome = `SELECT 'w', 1, max(position), NULL::uuid, NULL::text, max(version) FROM w HAVING count(*) > 0
UNION ALL
SELECT 'h', 1, NULL, NULL, NULL, h.v FROM h WHERE NOT EXISTS (SELECT FROM w)
UNION ALL
SELECT 's', 1, position, event_id, stream_id, version FROM s`;
  const insertOne = (from: string, where: string) => `INSERT INTO ${names.events} ${INSERT_COLUMNS}
SELECT pg_current_xact_id()::text::bigint * 65536 + 1, $4::uuid, $1, h.v + 1, $2, $5, $6::int,
       $7::json, $8::json, date_trunc('milliseconds', now())
FROM ${from}
WHERE ${where}`;
  const insertMany = (from: string, where: string) => `INSERT INTO ${names.events} ${INSERT_COLUMNS}
SELECT pg_current_xact_id()::text::bigint * 65536 + e.n, e.id, $1, h.v + e.n, $2, e.type, e.schema_version,
       e.data, e.metadata, date_trunc('milliseconds', now())
FROM ${from},
     ROWS FROM (unnest($4::uuid[]), json_array_elements_text($5::json), unnest($6::int[]),
                json_array_elements($7::json), json_array_elements($8::json))
       WITH ORDINALITY AS e (id, type, schema_version, data, metadata, n)
WHERE ${where}`;
  const checked = `${matches} AND NOT EXISTS (SELECT FROM s)`;
  return {
    one: `${insertOne(`${head} AS h`, matches)}
RETURNING 'w', 1, position, NULL::uuid, NULL::text, version`,
    many: `WITH w AS (
${insertMany(`${head} AS h`, matches)}
RETURNING version, position
)
SELECT 'w', 1, max(position), NULL::uuid, NULL::text, max(version) FROM w HAVING count(*) > 0`,
    checkedOne: `${lookups},
w AS (
${insertOne('h', checked)}
RETURNING version, position
)
${outcome}`,
    checkedMany: `${lookups},
w AS (
${insertMany('h', checked)}
RETURNING version, position
)
${outcome}`,
    head: `SELECT 'h', 1, NULL, NULL, NULL, v FROM ${head} AS h`,
  };
}

export async function appendEvents(
  pool: Pool,
  names: SchemaNames,
  statements: AppendStatements,
  append: PreparedAppend,
): Promise<AppendOutcome | undefined> {
  const events = append.events;
  const expected = expectedVersionParameter(append.expectedVersion);
  const ids = checkedIds(append);
  const plain = ids.length === 0;
  const checked = plain ? [] : [arrayLiteral(ids)];
  let result: { rows: unknown[][] };
  if (events.length === 1) {
    const e = events[0]!;
    result = await pool.query<unknown[]>({
      name: `${names.statementPrefix}append_one${plain ? '' : '_checked'}`,
      text: plain ? statements.one : statements.checkedOne,
      values: [
        append.streamId,
        append.category,
        expected,
        e.id,
        e.type,
        e.schemaVersion,
        e.data,
        e.metadata,
        ...checked,
      ],
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
      name: `${names.statementPrefix}append_many${plain ? '' : '_checked'}`,
      text: plain ? statements.many : statements.checkedMany,
      values: [
        append.streamId,
        append.category,
        expected,
        arrayLiteral(ids),
        JSON.stringify(types),
        arrayLiteral(schemaVersions),
        `${data}]`,
        `${metadata}]`,
        ...checked,
      ],
      rowMode: 'array',
      types: FACTUM_TYPES,
    });
  }
  if (plain && result.rows.length === 0) {
    // Refused: the expected version did not hold. Read the head for the error.
    result = await pool.query<unknown[]>({
      name: `${names.statementPrefix}append_head`,
      text: statements.head,
      values: [append.streamId],
      rowMode: 'array',
      types: FACTUM_TYPES,
    });
  }
  return readOutcomes(result.rows, 1)[0];
}

/**
 * One outcome per append, in order, from an append statement's rows; undefined for an append the
 * rows say nothing about. Every append statement returns rows (array mode) of the columns kind, a
 * (the append's ordinal, 1…), position, event_id, stream_id, version — the first four event columns
 * (EVENT_COLUMNS), followed by the others when the statement returns events. Kind 'w': the last event
 * written, or each event written; 'h': the stream's version when the append was refused; 's': one of
 * the append's caller-given ids, already stored (where).
 */
export function readOutcomes(rows: readonly unknown[][], count: number): (AppendOutcome | undefined)[] {
  const outcomes = new Array<AppendOutcome | undefined>(count).fill(undefined);
  const found = new Array<Map<string, StoredIdRecord> | undefined>(count);
  const foundOf = (i: number) => {
    found[i] ??= new Map();
    return found[i];
  };
  for (const row of rows) {
    const i = (row[1] as number) - 1;
    if (i < 0 || i >= count) continue;
    const version = row[5] as number;
    if (row[0] === 'w') {
      // Returning events, an append has one row per event: its outcome is the last.
      const before = outcomes[i];
      if (before === undefined || (before.written && before.version < version)) {
        outcomes[i] = { written: true, version, position: BigInt(row[2] as string) };
      }
    } else if (row[0] === 'h') {
      outcomes[i] = { written: false, head: version, found: foundOf(i) };
    } else {
      foundOf(i).set(row[3] as string, {
        streamId: row[4] as string,
        version,
        position: BigInt(row[2] as string),
      });
    }
  }
  return outcomes;
}

/**
 * A PostgreSQL array literal of values that never need quoting: integers and canonical UUIDs (the
 * ids were validated by prepareAppend). Strings go as JSON arrays instead; both skip the driver's
 * per-element escaping.
 */
function arrayLiteral(values: readonly (number | string)[]): string {
  return `{${values.join(',')}}`;
}

/** NULLs for the event columns after the first four (see EVENT_COLUMNS), in rows that are no event. */
const NO_EVENT_REST = 'NULL::text, NULL::text, NULL::int, NULL::json, NULL::json, NULL::float8';

/**
 * Several appends to distinct streams in one statement (one transaction, one commit): each append
 * checks its own stream's head against its own expected version, and its caller-given ids, as the
 * single statement does, and only the appends allowed are written. Every event is numbered across the
 * whole statement, so each append's events stay contiguous in the global log. Returns, per append,
 * the last event written ('heads') or every event written ('events'), or why it was refused.
 */
export function appendBatchSql(
  names: SchemaNames,
  returning: 'heads' | 'events' = 'heads',
  checked = true,
): string {
  const heads = returning === 'heads';
  // Without caller-given ids in the group (the usual case) there is nothing to look up.
  const stored = checked
    ? `SELECT c.a, x.position, x.event_id, x.stream_id, x.version
  FROM ${names.events} AS x
  JOIN ROWS FROM (unnest($11::uuid[]), unnest($12::int[])) AS c (id, a) ON c.id = x.event_id
  WHERE x.event_id = ANY ($11::uuid[])`
    : 'SELECT NULL::int AS a, NULL::bigint AS position, NULL::uuid AS event_id, NULL::text AS stream_id, NULL::int AS version WHERE false';
  const rest = heads ? '' : `, ${NO_EVENT_REST}`;
  const returnEvents = heads ? '' : `\nRETURNING ${EVENT_COLUMNS}`;
  // The heads and stored ids are read once per append, before any row is inserted (MATERIALIZED
  // keeps the planner from running the head lookup once per event, against a growing index).
  // Returning heads, the inserted rows are not read back: an append allowed is written whole or the
  // statement fails, so its last event's version and position follow from its head, its events'
  // ordinals and the transaction id, as the INSERT computes them.
  return `WITH r AS MATERIALIZED (
  SELECT q.a::int AS a, q.stream_id, q.category, q.expected, h.v
  FROM ROWS FROM (json_array_elements_text($1::json), json_array_elements_text($2::json), unnest($3::bigint[]))
         WITH ORDINALITY AS q (stream_id, category, expected, a)
  CROSS JOIN LATERAL (SELECT coalesce(max(version), 0) AS v FROM ${names.events} WHERE stream_id = q.stream_id) AS h
), s AS MATERIALIZED (
  ${stored}
), ok AS MATERIALIZED (
  SELECT r.a, r.stream_id, r.category, r.v FROM r
  WHERE ${expectedVersionSql('r.v', 'r.expected')} AND NOT EXISTS (SELECT FROM s WHERE s.a = r.a)
), w AS (
INSERT INTO ${names.events} ${INSERT_COLUMNS}
SELECT pg_current_xact_id()::text::bigint * 65536 + e.n, e.id, ok.stream_id, ok.v + e.k, ok.category, e.type,
       e.schema_version, e.data, e.metadata, date_trunc('milliseconds', now())
FROM ROWS FROM (unnest($4::int[]), unnest($5::int[]), unnest($6::uuid[]), json_array_elements_text($7::json),
                unnest($8::int[]),
                json_array_elements($9::json), json_array_elements($10::json))
       WITH ORDINALITY AS e (a, k, id, type, schema_version, data, metadata, n)
JOIN ok ON ok.a = e.a${returnEvents}
)
${
  heads
    ? `SELECT 'w', ok.a, pg_current_xact_id()::text::bigint * 65536 + l.n, NULL::uuid, ok.stream_id, ok.v + l.k
FROM ok
JOIN (SELECT e.a, max(e.k) AS k, max(e.n) AS n
      FROM ROWS FROM (unnest($4::int[]), unnest($5::int[])) WITH ORDINALITY AS e (a, k, n)
      GROUP BY e.a) AS l ON l.a = ok.a`
    : `SELECT 'w', ok.a, w.* FROM w JOIN ok ON ok.stream_id = w.stream_id`
}
UNION ALL
SELECT 'h', r.a, NULL, NULL, r.stream_id, r.v${rest} FROM r WHERE NOT EXISTS (SELECT FROM ok WHERE ok.a = r.a)
UNION ALL
SELECT 's', s.a, s.position, s.event_id, s.stream_id, s.version${rest} FROM s${heads ? '' : '\nORDER BY 3'}`;
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
  const checked: string[] = [];
  const checkedOwner: number[] = [];
  let data = '[';
  let metadata = '[';
  let first = true;
  for (let a = 0; a < appends.length; a++) {
    const append = appends[a]!;
    streamIds.push(append.streamId);
    categories.push(append.category);
    expected.push(expectedVersionParameter(append.expectedVersion));
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
    for (const id of checkedIds(append)) {
      checked.push(id);
      checkedOwner.push(a + 1);
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
    ...(checked.length === 0 ? [] : [arrayLiteral(checked), arrayLiteral(checkedOwner)]),
  ];
}

/** Whether any append of a group has caller-given ids (the batch statement then looks them up). */
export function anyCheckedIds(appends: readonly PreparedAppend[]): boolean {
  return appends.some((a) => a.hasCallerIds);
}

/** Runs the batch statement; returns each append's outcome, in the appends' order. */
export async function appendBatch(
  pool: Pool,
  names: SchemaNames,
  sql: { plain: string; checked: string },
  appends: readonly PreparedAppend[],
): Promise<(AppendOutcome | undefined)[]> {
  const checked = anyCheckedIds(appends);
  const result = await pool.query<unknown[]>({
    name: `${names.statementPrefix}append_batch${checked ? '_checked' : ''}`,
    text: checked ? sql.checked : sql.plain,
    values: appendBatchValues(appends),
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  return readOutcomes(result.rows, appends.length);
}
