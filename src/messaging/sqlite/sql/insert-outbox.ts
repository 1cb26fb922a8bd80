import type Database from 'better-sqlite3';

export type InsertOutboxParams = [
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

/** Writes one outbox row; its position is the new rowid. */
export function prepareInsertOutbox(db: Database.Database): Database.Statement<InsertOutboxParams> {
  return db.prepare<InsertOutboxParams>(
    `INSERT INTO factum_outbox
       (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
}
