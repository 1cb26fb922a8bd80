import type { StoredEvent } from '../../../core/envelope.js';
import type { DeadLetter } from '../../storage.js';

export interface DeadLetterRow {
  id: number;
  projection: string;
  generation: number;
  status: 'dead' | 'parked';
  ordering_key: string | null;
  position: number;
  event: string;
  error_message: string | null;
  error_stack: string | null;
  attempts: number;
  action: 'retry' | 'skip' | null;
  created_at: number;
  updated_at: number;
}

export const DEAD_LETTER_COLUMNS =
  'id, projection, generation, status, ordering_key, position, event, error_message, error_stack, attempts, action, created_at, updated_at';

/** The event as stored in a dead letter: JSON with the position as a string and the timestamp in ms. */
export function eventToJson(e: StoredEvent): string {
  return JSON.stringify({
    id: e.id,
    type: e.type,
    streamId: e.streamId,
    category: e.category,
    version: e.version,
    position: e.position.toString(),
    schemaVersion: e.schemaVersion,
    timestamp: e.timestamp.getTime(),
    data: e.data,
    metadata: e.metadata,
  });
}

export function eventFromJson(json: string): StoredEvent {
  const o = JSON.parse(json) as Record<string, unknown>;
  return {
    id: o.id as string,
    type: o.type as string,
    streamId: o.streamId as string,
    category: o.category as string,
    version: o.version as number,
    position: BigInt(o.position as string),
    schemaVersion: o.schemaVersion as number,
    timestamp: new Date(o.timestamp as number),
    data: o.data,
    metadata: o.metadata as StoredEvent['metadata'],
  };
}

export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    projection: row.projection,
    generation: row.generation,
    status: row.status,
    orderingKey: row.ordering_key,
    event: eventFromJson(row.event),
    error: row.error_message === null ? null : { message: row.error_message, stack: row.error_stack },
    attempts: row.attempts,
    action: row.action,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
