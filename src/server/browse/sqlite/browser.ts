import type { StoredEvent } from '../../../core/envelope.js';
import { ErrorCodes, isFactumError } from '../../../core/errors.js';
import { checkReadAllOptions } from '../../../core/store.js';
import { assertStreamId } from '../../../core/validation.js';
import {
  databaseOf,
  EVENT_COLUMNS,
  type EventRow,
  readAllQuery,
  type SqliteEventStore,
  statement,
  toStoredEvent,
  translate,
} from '../../../stores/sqlite/kit.js';
import {
  type CorrelationQuery,
  eventJsonText,
  MAX_CORRELATION_PAGE,
  MAX_STREAM_PAGE,
  MAX_TAIL,
  pageLimit,
  prefixEnd,
  type StoreBrowser,
  type StreamQuery,
  streamRange,
} from '../browse.js';
import { CORRELATION_OF, ensureMigrations } from './migrations.js';

type Row = EventRow;
const toEvent = toStoredEvent;

/** The store browser of a SQLite store: plain reads on its connection, the correlation index (0025) applied on first use. */
export function sqliteStoreBrowser(store: SqliteEventStore): StoreBrowser {
  const db = databaseOf(store);
  let indexed = false;
  const ensureIndex = () => {
    if (indexed) return;
    try {
      ensureMigrations(store, 'server');
    } catch (error) {
      // A store opened with `migrate: false`: the same query runs without the index.
      if (!isFactumError(error, ErrorCodes.MIGRATION_REQUIRED)) throw error;
    }
    indexed = true;
  };
  const read = <T>(what: string, run: () => T): Promise<T> => {
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(translate(error, what));
    }
  };
  return {
    async listStreams(query: StreamQuery = {}) {
      const limit = pageLimit(query.limit, 50, MAX_STREAM_PAGE);
      const { prefix, exact } = streamRange(query);
      return read('list streams', () => {
        const clauses: string[] = [];
        const params: unknown[] = [];
        if (prefix !== undefined) {
          const range = 'stream_id >= ? AND stream_id < ?';
          clauses.push(exact === undefined ? range : `(${range} OR stream_id = ?)`);
          params.push(prefix, prefixEnd(prefix));
          if (exact !== undefined) params.push(exact);
        }
        if (query.after !== undefined) {
          clauses.push('stream_id > ?');
          params.push(query.after);
        }
        const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
        const rows = statement(
          db,
          `SELECT e.stream_id, e.category, e.version, e.position, e.recorded_at FROM (
             SELECT stream_id, max(version) AS version FROM factum_events ${where}
             GROUP BY stream_id ORDER BY stream_id LIMIT ?
           ) s JOIN factum_events e ON e.stream_id = s.stream_id AND e.version = s.version
           ORDER BY e.stream_id`,
        )
          .raw(true)
          .all(...params, limit + 1) as [string, string, number, number, number][];
        const streams = rows.slice(0, limit).map(([streamId, category, version, position, at]) => ({
          streamId,
          category,
          version,
          lastPosition: BigInt(position),
          updatedAt: new Date(at),
        }));
        return { streams, next: rows.length > limit ? streams.at(-1)?.streamId : undefined };
      });
    },
    async readEvent(id: string) {
      return read('read an event', () => {
        const row = statement(db, `SELECT ${EVENT_COLUMNS} FROM factum_events WHERE event_id = ?`)
          .raw(true)
          .get(id) as Row | undefined;
        return row === undefined ? undefined : toEvent(row);
      });
    },
    async readLogJson(options) {
      const { after, limit, types, categories } = checkReadAllOptions(options);
      return read('read the log', () => {
        const { sql, params } = readAllQuery(after, limit, types, categories);
        const rows = statement(db, sql)
          .raw(true)
          .all(...params) as Row[];
        const parts = rows.map((r) =>
          eventJsonText(r[1], r[2], r[4], r[3], r[0], r[5], r[6], r[9], r[7], r[8]),
        );
        const last = rows.at(-1);
        return { json: `[${parts.join(',')}]`, last: last === undefined ? after : BigInt(last[0]) };
      });
    },
    async readStreamJson(streamId, options) {
      assertStreamId(streamId);
      return read('read a stream', () => {
        const backward = options.direction === 'backward';
        const clauses = ['stream_id = ?'];
        const params: unknown[] = [streamId];
        if (options.fromVersion !== undefined) {
          clauses.push(backward ? 'version <= ?' : 'version >= ?');
          params.push(options.fromVersion);
        }
        const rows = statement(
          db,
          `SELECT ${EVENT_COLUMNS} FROM factum_events WHERE ${clauses.join(' AND ')} ORDER BY version ${backward ? 'DESC' : 'ASC'} LIMIT ?`,
        )
          .raw(true)
          .all(...params, options.limit) as Row[];
        const head = statement(db, 'SELECT max(version) FROM factum_events WHERE stream_id = ?')
          .pluck(true)
          .get(streamId) as number | null;
        const parts = rows.map((r) =>
          eventJsonText(r[1], r[2], r[4], r[3], r[0], r[5], r[6], r[9], r[7], r[8]),
        );
        return {
          json: `[${parts.join(',')}]`,
          version: head ?? 0,
          count: rows.length,
          lastVersion: rows.at(-1)?.[3],
        };
      });
    },
    async tail(limit: number) {
      const n = pageLimit(limit, 20, MAX_TAIL);
      return read('read the tail of the log', () => {
        const rows = statement(
          db,
          `SELECT ${EVENT_COLUMNS} FROM factum_events ORDER BY position DESC LIMIT ?`,
        )
          .raw(true)
          .all(n) as Row[];
        return rows.reverse().map(toEvent);
      });
    },
    async readCorrelation(id: string, query: CorrelationQuery = {}) {
      const limit = pageLimit(query.limit, 1_000, MAX_CORRELATION_PAGE);
      return read('read a correlation', () => {
        ensureIndex();
        const after = query.after ?? 0n;
        const rows = statement(
          db,
          `SELECT ${EVENT_COLUMNS} FROM (
             SELECT ${EVENT_COLUMNS} FROM factum_events WHERE ${CORRELATION_OF} = ? AND position > ?
             UNION ALL
             SELECT ${EVENT_COLUMNS} FROM factum_events
             WHERE event_id = ? AND position > ? AND ${CORRELATION_OF} IS NOT ?
           ) ORDER BY position LIMIT ?`,
        )
          .raw(true)
          .all(id, after, id, after, id, limit) as Row[];
        return rows.map(toEvent);
      });
    },
  };
}
