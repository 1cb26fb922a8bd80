import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import { eventToJson } from '../../event-json.js';
import type { NewDeadLetter } from '../../storage.js';

/** Records a dead (or parked) event; returns its id. */
export function addDeadLetter(db: Database.Database, d: NewDeadLetter, now: number): number {
  const info = statement(
    db,
    `INSERT INTO factum_projection_dead_letters
       (projection, generation, status, ordering_key, position, event_id, stream_id, event_type, event,
        error_message, error_stack, attempts, action, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
  ).run(
    d.projection,
    d.generation,
    d.status,
    d.orderingKey,
    d.event.position,
    d.event.id,
    d.event.streamId,
    d.event.type,
    eventToJson(d.event),
    d.error?.message ?? null,
    d.error?.stack ?? null,
    d.attempts,
    now,
    now,
  );
  return Number(info.lastInsertRowid);
}
