import type Database from 'better-sqlite3';

export type OutboxRow = [
  position: bigint,
  eventId: string,
  streamId: string,
  version: bigint,
  category: string,
  type: string,
  schemaVersion: bigint,
  data: string,
  metadata: string,
  recordedAt: bigint,
];

/** The oldest unpublished outbox rows, in position order. */
export function prepareReadOutbox(db: Database.Database): Database.Statement<[number], OutboxRow> {
  return db
    .prepare<[number], OutboxRow>(
      `SELECT position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at
       FROM factum_outbox WHERE published_at IS NULL ORDER BY position LIMIT ?`,
    )
    .raw(true)
    .safeIntegers(true);
}
