import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { DeadLetter, DeadLetterQuery } from '../../storage.js';
import { DEAD_LETTER_COLUMNS, type DeadLetterRow, toDeadLetter } from './dead-letter-row.js';

/** Dead letters matching the query, oldest event first (by projection, generation, position). */
export function listDeadLetters(db: Database.Database, q: DeadLetterQuery): DeadLetter[] {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (q.projection !== undefined) {
    clauses.push('projection = ?');
    params.push(q.projection);
  }
  if (q.generation !== undefined) {
    clauses.push('generation = ?');
    params.push(q.generation);
  }
  if (q.status !== undefined) {
    clauses.push('status = ?');
    params.push(q.status);
  }
  if (q.orderingKey !== undefined) {
    clauses.push('ordering_key = ?');
    params.push(q.orderingKey);
  }
  if (q.withAction === true) clauses.push('action IS NOT NULL');
  if (q.afterId !== undefined) {
    clauses.push('id > ?');
    params.push(q.afterId);
  }
  let sql = `SELECT ${DEAD_LETTER_COLUMNS} FROM factum_projection_dead_letters`;
  if (clauses.length > 0) sql += ` WHERE ${clauses.join(' AND ')}`;
  sql += ' ORDER BY projection, generation, position';
  if (q.limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(q.limit);
  }
  return statement<DeadLetterRow>(db, sql)
    .all(...params)
    .map(toDeadLetter);
}
