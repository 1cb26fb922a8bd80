import type { DeadLetter, DeadLetterQuery } from '../../storage.js';
import { DEAD_LETTER_COLUMNS, type DeadLetterRow, toDeadLetter } from './dead-letter-row.js';
import type { ProjectionTables, Queryable } from './tables.js';

/** Dead letters matching the query, oldest event first (by projection, generation, position). */
export async function listDeadLetters(
  db: Queryable,
  t: ProjectionTables,
  q: DeadLetterQuery,
): Promise<DeadLetter[]> {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const bind = (column: string, value: unknown) => {
    params.push(value);
    clauses.push(`${column} $${params.length}`);
  };
  if (q.projection !== undefined) bind('projection =', q.projection);
  if (q.generation !== undefined) bind('generation =', q.generation);
  if (q.status !== undefined) bind('status =', q.status);
  if (q.orderingKey !== undefined) bind('ordering_key =', q.orderingKey);
  if (q.withAction === true) clauses.push('action IS NOT NULL');
  if (q.afterId !== undefined) bind('id >', q.afterId);
  let sql = `SELECT ${DEAD_LETTER_COLUMNS} FROM ${t.deadLetters}`;
  if (clauses.length > 0) sql += ` WHERE ${clauses.join(' AND ')}`;
  sql += ' ORDER BY projection COLLATE "C", generation, position';
  if (q.limit !== undefined) {
    params.push(q.limit);
    sql += ` LIMIT $${params.length}`;
  }
  const { rows } = await db.query<DeadLetterRow>(sql, params);
  return rows.map(toDeadLetter);
}
