import type Database from 'better-sqlite3';

/** The version the next outbox message of a stream gets. */
export function prepareNextOutboxVersion(db: Database.Database): Database.Statement<[string], { v: number }> {
  return db.prepare<[string], { v: number }>(
    'SELECT coalesce(max(version), 0) + 1 AS v FROM factum_outbox WHERE stream_id = ?',
  );
}
