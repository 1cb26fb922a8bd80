import type Database from 'better-sqlite3';

/** Rows per INSERT statement: one statement per append of up to this many events. */
export const MAX_ROWS_PER_INSERT = 100;

const COLUMNS = '(event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)';
const ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * Appends `rows` event rows in one statement (parameters: 9 per row, in column order). Their positions
 * are consecutive rowids ending at the statement's lastInsertRowid. Statements are cached per row count.
 */
export function insertEventsStatement(
  db: Database.Database,
  cache: Map<number, Database.Statement<unknown[]>>,
  rows: number,
): Database.Statement<unknown[]> {
  let statement = cache.get(rows);
  if (statement === undefined) {
    statement = db.prepare<unknown[]>(
      `INSERT INTO factum_events ${COLUMNS} VALUES ${Array.from({ length: rows }, () => ROW).join(', ')}`,
    );
    cache.set(rows, statement);
  }
  return statement;
}
