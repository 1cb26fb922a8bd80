import type Database from 'better-sqlite3';
import type { StoredIdRecord } from '../../../core/idempotency.js';
import { statement } from '../statement.js';

type Row = [eventId: string, streamId: string, version: number, position: number];

/**
 * Looks up where events with the given ids are stored (for idempotent retries). The statement is
 * prepared once per id count.
 */
export function findEventIds(db: Database.Database, ids: readonly string[]): Map<string, StoredIdRecord> {
  const placeholders = ids.map(() => '?').join(', ');
  const rows = statement<Row>(
    db,
    `SELECT event_id, stream_id, version, position FROM factum_events WHERE event_id IN (${placeholders})`,
  )
    .raw()
    .all(ids);
  const found = new Map<string, StoredIdRecord>();
  for (const [eventId, streamId, version, position] of rows) {
    found.set(eventId, { streamId, version, position: BigInt(position) });
  }
  return found;
}
