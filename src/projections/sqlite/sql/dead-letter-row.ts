import { eventFromJson } from '../../event-json.js';
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
