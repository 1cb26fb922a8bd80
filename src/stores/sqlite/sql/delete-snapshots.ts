import type Database from 'better-sqlite3';

/** Deletes one decider's snapshot on a stream. */
export function prepareDeleteSnapshot(db: Database.Database): Database.Statement<[string, string]> {
  return db.prepare<[string, string]>('DELETE FROM factum_snapshots WHERE stream_id = ? AND name = ?');
}

/** Deletes every snapshot of a stream. */
export function prepareDeleteStreamSnapshots(db: Database.Database): Database.Statement<[string]> {
  return db.prepare<[string]>('DELETE FROM factum_snapshots WHERE stream_id = ?');
}
