import { eventFromJson } from '../../event-json.js';
import type { DeadLetter } from '../../storage.js';

export interface DeadLetterRow {
  id: string;
  projection: string;
  generation: number;
  status: 'dead' | 'parked';
  ordering_key: string | null;
  event: string;
  error_message: string | null;
  error_stack: string | null;
  attempts: number;
  action: 'retry' | 'skip' | null;
  created_at: Date;
  updated_at: Date;
}

/** The columns of a dead letter; the event comes back as its JSON text (event::text). */
export const DEAD_LETTER_COLUMNS =
  'id, projection, generation, status, ordering_key, event::text AS event, error_message, error_stack, attempts, action, created_at, updated_at';

export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: Number(row.id),
    projection: row.projection,
    generation: row.generation,
    status: row.status,
    orderingKey: row.ordering_key,
    event: eventFromJson(row.event),
    error: row.error_message === null ? null : { message: row.error_message, stack: row.error_stack },
    attempts: row.attempts,
    action: row.action,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
