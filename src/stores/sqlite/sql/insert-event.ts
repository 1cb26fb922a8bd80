import type Database from 'better-sqlite3';

export type InsertEventParams = [
  eventId: string,
  streamId: string,
  version: number,
  category: string,
  type: string,
  schemaVersion: number,
  data: string,
  metadata: string,
  recordedAt: number,
];

/** Appends one event row; its position is the new rowid. */
export function prepareInsertEvent(db: Database.Database): Database.Statement<InsertEventParams> {
  return db.prepare<InsertEventParams>(
    `INSERT INTO factum_events
       (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
}
