import type { StoredEvent } from '../../../core/envelope.js';
import { eventWithStoredData } from '../../../core/stored-data.js';

/** The columns every event read selects, in this order (rows are read in raw array mode for speed). */
export const EVENT_COLUMNS =
  'position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at';

export type EventRow = [
  position: number,
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

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row[1],
    type: row[5],
    streamId: row[2],
    category: row[4],
    version: row[3],
    position: BigInt(row[0]),
    schemaVersion: row[6],
    timestamp: new Date(row[9]),
    data: JSON.parse(row[7]) as unknown,
    metadata: JSON.parse(row[8]) as StoredEvent['metadata'],
  };
}

/** As toStoredEvent, the data kept as its stored JSON text (parsed on first access): the relay's reads. */
export function toEventWithStoredData(row: EventRow): StoredEvent {
  return eventWithStoredData(
    row[1],
    row[5],
    row[2],
    row[4],
    row[3],
    BigInt(row[0]),
    row[6],
    new Date(row[9]),
    row[7],
    JSON.parse(row[8]) as StoredEvent['metadata'],
  );
}
