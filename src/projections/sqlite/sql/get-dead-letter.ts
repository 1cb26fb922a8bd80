import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { DeadLetter } from '../../storage.js';
import { DEAD_LETTER_COLUMNS, type DeadLetterRow, toDeadLetter } from './dead-letter-row.js';

export function getDeadLetter(db: Database.Database, id: number): DeadLetter | undefined {
  const row = statement<DeadLetterRow>(
    db,
    `SELECT ${DEAD_LETTER_COLUMNS} FROM factum_projection_dead_letters WHERE id = ?`,
  ).get(id);
  return row === undefined ? undefined : toDeadLetter(row);
}
