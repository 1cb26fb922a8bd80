import type { DeadLetter } from '../../storage.js';
import { DEAD_LETTER_COLUMNS, type DeadLetterRow, toDeadLetter } from './dead-letter-row.js';
import type { ProjectionTables, Queryable } from './tables.js';

export async function getDeadLetter(
  db: Queryable,
  t: ProjectionTables,
  id: number,
): Promise<DeadLetter | undefined> {
  const { rows } = await db.query<DeadLetterRow>(
    `SELECT ${DEAD_LETTER_COLUMNS} FROM ${t.deadLetters} WHERE id = $1`,
    [id],
  );
  return rows[0] === undefined ? undefined : toDeadLetter(rows[0]);
}
