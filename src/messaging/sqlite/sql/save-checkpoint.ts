import type Database from 'better-sqlite3';

/** Saves a checkpoint's position; never moves it back. */
export function prepareSaveCheckpoint(db: Database.Database): Database.Statement<[string, bigint, number]> {
  return db.prepare<[string, bigint, number]>(
    `INSERT INTO factum_checkpoints (name, position, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
     WHERE excluded.position > factum_checkpoints.position`,
  );
}
