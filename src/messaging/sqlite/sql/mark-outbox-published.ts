import type Database from 'better-sqlite3';

/** Marks the unpublished rows up to a position as published (SQLite assigns positions in commit order). */
export function prepareMarkOutboxPublished(db: Database.Database): Database.Statement<[number, bigint]> {
  return db.prepare<[number, bigint]>(
    'UPDATE factum_outbox SET published_at = ? WHERE position <= ? AND published_at IS NULL',
  );
}
