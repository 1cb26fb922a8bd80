import type Database from 'better-sqlite3';
import { EVENT_COLUMNS, type EventRow } from './event-row.js';

export interface ReadStreamQuery {
  fromVersion: number | undefined;
  toVersion: number | undefined;
  until: number | undefined;
  direction: 'forward' | 'backward';
  limit: number | undefined;
}

/**
 * Reads one stream's events in version order. The SQL is chosen from a fixed set of shapes (which
 * filters are present); every value is a bound parameter. Statements are cached per shape.
 */
export function readStreamRows(
  db: Database.Database,
  cache: Map<string, Database.Statement<unknown[], EventRow>>,
  streamId: string,
  q: ReadStreamQuery,
): EventRow[] {
  const backward = q.direction === 'backward';
  const clauses = ['stream_id = ?'];
  const params: unknown[] = [streamId];
  if (q.fromVersion !== undefined) {
    clauses.push(backward ? 'version <= ?' : 'version >= ?');
    params.push(q.fromVersion);
  }
  if (q.toVersion !== undefined) {
    clauses.push('version <= ?');
    params.push(q.toVersion);
  }
  if (q.until !== undefined) {
    clauses.push('recorded_at <= ?');
    params.push(q.until);
  }
  let sql = `SELECT ${EVENT_COLUMNS} FROM factum_events WHERE ${clauses.join(' AND ')} ORDER BY version ${backward ? 'DESC' : 'ASC'}`;
  if (q.limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(q.limit);
  }
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = db.prepare<unknown[], EventRow>(sql).raw();
    cache.set(sql, statement);
  }
  return statement.all(...params);
}
