import type Database from 'better-sqlite3';

export type SnapshotRow = [version: number, schemaVersion: number, state: string, takenAt: number];

/** Reads the snapshot of one decider (by name) on one stream. */
export function prepareLoadSnapshot(
  db: Database.Database,
): Database.Statement<[string, string], SnapshotRow> {
  return db
    .prepare<[string, string], SnapshotRow>(
      'SELECT version, schema_version, state, taken_at FROM factum_snapshots WHERE stream_id = ? AND name = ?',
    )
    .raw();
}
