import type { CustomTypesConfig } from 'pg';
import type { StoredEvent } from '../../../core/envelope.js';
import { ErrorCodes, isFactumError } from '../../../core/errors.js';
import { checkReadAllOptions } from '../../../core/store.js';
import { assertStreamId } from '../../../core/validation.js';
import {
  EVENT_COLUMNS,
  ensureMigrations,
  FACTUM_TYPES,
  type PostgresEventStore,
  readAllSql,
  schemaNames,
  toStoredEvent,
  translate,
} from '../../../stores/postgres/kit.js';
import {
  type CorrelationQuery,
  eventJsonText,
  MAX_CORRELATION_PAGE,
  MAX_STREAM_PAGE,
  MAX_TAIL,
  pageLimit,
  type StoreBrowser,
  type StreamQuery,
  streamRange,
} from '../browse.js';
import { CORRELATION_OF } from './migrations.js';

const JSON_OID = 114;
/** Factum's parsers, except that json stays the text it was stored as. */
const TEXT_JSON: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === JSON_OID
      ? (value: string) => value
      : FACTUM_TYPES.getTypeParser(oid, format as never)) as CustomTypesConfig['getTypeParser'],
};

/** The API's JSON of the event columns of `row` starting at `at` (EVENT_COLUMNS' order), stored JSON spliced in. */
function jsonOf(row: readonly unknown[], at: number): string {
  return eventJsonText(
    row[at + 1] as string,
    row[at + 2] as string,
    row[at + 4] as string,
    row[at + 3] as number,
    row[at] as string,
    row[at + 5] as string,
    row[at + 6] as number,
    Math.round(row[at + 9] as number),
    row[at + 7] as string,
    row[at + 8] as string,
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The store browser of a PostgreSQL store: reads on its pool, the correlation index (0025) applied when the store migrates. */
export function postgresStoreBrowser(store: PostgresEventStore): StoreBrowser {
  const names = schemaNames(store.schema);
  const pool = store.pool;
  let indexed: Promise<void> | undefined;
  const ensureIndex = () => {
    // A store opened without `migrate: true`: the same query runs without the index.
    indexed ??= ensureMigrations(store, 'server').catch((error: unknown) => {
      if (!isFactumError(error, ErrorCodes.MIGRATION_REQUIRED)) throw error;
    });
    return indexed;
  };
  const logSql = readAllSql(names);
  /** Rows with json columns as their text (not parsed). */
  const textRows = async (what: string, text: string, values: unknown[]): Promise<unknown[][]> => {
    try {
      const result = await pool.query<unknown[]>({ text, values, rowMode: 'array', types: TEXT_JSON });
      return result.rows;
    } catch (error) {
      throw translate(error, what);
    }
  };
  const rows = async (what: string, text: string, values: unknown[]): Promise<unknown[][]> => {
    try {
      const result = await pool.query<unknown[]>({ text, values, rowMode: 'array', types: FACTUM_TYPES });
      return result.rows;
    } catch (error) {
      throw translate(error, what);
    }
  };
  return {
    async listStreams(query: StreamQuery = {}) {
      const limit = pageLimit(query.limit, 50, MAX_STREAM_PAGE);
      const { prefix, exact } = streamRange(query);
      const clauses: string[] = [];
      const values: unknown[] = [];
      const param = (value: unknown) => {
        values.push(value);
        return `$${values.length}`;
      };
      if (prefix !== undefined) {
        // starts_with, not a range: under a linguistic collation a range misses ids (punctuation sorts apart).
        const range = `starts_with(stream_id, ${param(prefix)})`;
        clauses.push(exact === undefined ? range : `(${range} OR stream_id = ${param(exact)})`);
      }
      if (query.after !== undefined) clauses.push(`stream_id > ${param(query.after)}`);
      const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
      // Stream ids in the database's collation order, the same order as the `after` cursor compares.
      const found = await rows(
        'list streams',
        `SELECT e.stream_id, e.category, e.version, e.position, date_part('epoch', e.recorded_at) * 1000 FROM (
           SELECT stream_id, max(version) AS version FROM ${names.events} ${where}
           GROUP BY stream_id ORDER BY stream_id LIMIT ${param(limit + 1)}
         ) s JOIN ${names.events} e ON e.stream_id = s.stream_id AND e.version = s.version
         ORDER BY e.stream_id`,
        values,
      );
      const streams = found.slice(0, limit).map((r) => ({
        streamId: r[0] as string,
        category: r[1] as string,
        version: r[2] as number,
        lastPosition: BigInt(r[3] as string),
        updatedAt: new Date(Math.round(r[4] as number)),
      }));
      return { streams, next: found.length > limit ? streams.at(-1)?.streamId : undefined };
    },
    async readEvent(id: string): Promise<StoredEvent | undefined> {
      if (!UUID.test(id)) return undefined;
      const found = await rows(
        'read an event',
        `SELECT ${EVENT_COLUMNS} FROM ${names.events} WHERE event_id = $1`,
        [id],
      );
      return found[0] === undefined ? undefined : toStoredEvent(found[0]);
    },
    async readLogJson(options) {
      const { after, limit, types, categories } = checkReadAllOptions(options);
      // The store's own page of the log (only below the oldest running transaction, so a cursor never
      // skips an event that commits late), with data and metadata as the stored JSON text.
      const found = await textRows('read the log', logSql, [
        after.toString(),
        limit,
        types ?? null,
        categories ?? null,
      ]);
      const parts: string[] = [];
      let last = after;
      for (const r of found) {
        if (r[2] === null) continue;
        parts.push(jsonOf(r, 2));
        last = BigInt(r[2] as string);
      }
      return { json: `[${parts.join(',')}]`, last };
    },
    async readStreamJson(streamId, options) {
      assertStreamId(streamId);
      const backward = options.direction === 'backward';
      const values: unknown[] = [streamId, options.limit];
      let from = '';
      if (options.fromVersion !== undefined) {
        values.push(options.fromVersion);
        from = backward ? ' AND version <= $3' : ' AND version >= $3';
      }
      const found = await textRows(
        'read a stream',
        `SELECT (SELECT max(version) FROM ${names.events} WHERE stream_id = $1), e.* FROM (
           SELECT ${EVENT_COLUMNS} FROM ${names.events} WHERE stream_id = $1${from}
           ORDER BY version ${backward ? 'DESC' : 'ASC'} LIMIT $2
         ) AS e RIGHT JOIN (SELECT 1) AS one ON true`,
        values,
      );
      const version = (found[0]?.[0] as number | null) ?? 0;
      const events = found.filter((r) => r[1] !== null);
      return {
        json: `[${events.map((r) => jsonOf(r, 1)).join(',')}]`,
        version,
        count: events.length,
        lastVersion: events.at(-1)?.[4] as number | undefined,
      };
    },
    async tail(limit: number) {
      const n = pageLimit(limit, 20, MAX_TAIL);
      const found = await rows(
        'read the tail of the log',
        `SELECT ${EVENT_COLUMNS} FROM ${names.events} ORDER BY position DESC LIMIT $1`,
        [n],
      );
      return found.reverse().map((row) => toStoredEvent(row));
    },
    async readCorrelation(id: string, query: CorrelationQuery = {}) {
      const limit = pageLimit(query.limit, 1_000, MAX_CORRELATION_PAGE);
      await ensureIndex();
      const after = (query.after ?? 0n).toString();
      const byId = UUID.test(id)
        ? `UNION ALL SELECT ${EVENT_COLUMNS} FROM ${names.events}
           WHERE event_id = $1::uuid AND position > $2 AND ${CORRELATION_OF} IS DISTINCT FROM $1`
        : '';
      const found = await rows(
        'read a correlation',
        `SELECT * FROM (
           SELECT ${EVENT_COLUMNS} FROM ${names.events} WHERE ${CORRELATION_OF} = $1 AND position > $2
           ${byId}
         ) AS flow ORDER BY 1 LIMIT $3`,
        [id, after, limit],
      );
      return found.map((row) => toStoredEvent(row));
    },
  };
}
