import type Database from 'better-sqlite3';
import { EVENT_COLUMNS, type EventRow } from './event-row.js';

/**
 * Reads the global log after a position, in position order, optionally only some types and
 * categories. Filter lists become bound IN (...) parameters; statements are cached per shape.
 */
export function readAllRows(
  db: Database.Database,
  cache: Map<string, Database.Statement<unknown[], EventRow>>,
  after: bigint,
  limit: number,
  types: readonly string[] | undefined,
  categories: readonly string[] | undefined,
): EventRow[] {
  const { sql, params } = readAllQuery(after, limit, types, categories);
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = db.prepare<unknown[], EventRow>(sql).raw();
    cache.set(sql, statement);
  }
  return statement.all(...params);
}

/** The SQL and parameters of one page of the log (EVENT_COLUMNS, in position order). */
export function readAllQuery(
  after: bigint,
  limit: number,
  types: readonly string[] | undefined,
  categories: readonly string[] | undefined,
): { sql: string; params: unknown[] } {
  const clauses = ['position > ?'];
  const params: unknown[] = [after];
  if (types !== undefined) {
    clauses.push(`type IN (${types.map(() => '?').join(', ')})`);
    params.push(...types);
  }
  if (categories !== undefined) {
    clauses.push(`category IN (${categories.map(() => '?').join(', ')})`);
    params.push(...categories);
  }
  params.push(limit);
  const sql = `SELECT ${EVENT_COLUMNS} FROM factum_events WHERE ${clauses.join(' AND ')} ORDER BY position LIMIT ?`;
  return { sql, params };
}
