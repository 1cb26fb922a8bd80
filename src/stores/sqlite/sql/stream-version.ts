import type Database from 'better-sqlite3';

/** The current version of one stream: 0 when it has no events. */
export function prepareStreamVersion(db: Database.Database): Database.Statement<[string], number> {
  return db
    .prepare<[string], number>('SELECT coalesce(max(version), 0) FROM factum_events WHERE stream_id = ?')
    .pluck();
}
