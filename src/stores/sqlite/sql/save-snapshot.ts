import type Database from 'better-sqlite3';

export type SaveSnapshotParams = [
  streamId: string,
  name: string,
  version: number,
  schemaVersion: number,
  state: string,
  takenAt: number,
];

/**
 * Upserts the snapshot of (stream, name). An older snapshot (lower version, same schema version)
 * never replaces a newer one, so concurrent command handlers cannot move a snapshot backwards.
 */
export function prepareSaveSnapshot(db: Database.Database): Database.Statement<SaveSnapshotParams> {
  return db.prepare<SaveSnapshotParams>(
    `INSERT INTO factum_snapshots (stream_id, name, version, schema_version, state, taken_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (stream_id, name) DO UPDATE SET
       version = excluded.version,
       schema_version = excluded.schema_version,
       state = excluded.state,
       taken_at = excluded.taken_at
     WHERE excluded.version >= factum_snapshots.version
        OR excluded.schema_version <> factum_snapshots.schema_version`,
  );
}
