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

/** The oldest unpublished outbox rows after a position (the relay's read cursor), in position order. */
export function prepareReadOutbox(db: Database.Database): Database.Statement<[bigint, number], OutboxRow> {
  return db
    .prepare<[bigint, number], OutboxRow>(
      `SELECT position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at
       FROM factum_outbox WHERE published_at IS NULL AND position > ? ORDER BY position LIMIT ?`,
    )
    .raw(true)
    .safeIntegers(true);
}
