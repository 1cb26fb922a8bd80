import { eventToJson } from '../../event-json.js';
import type { NewDeadLetter } from '../../storage.js';
import type { ProjectionTables, Queryable } from './tables.js';

/** Records a dead (or parked) event; returns its id. */
export async function addDeadLetter(db: Queryable, t: ProjectionTables, d: NewDeadLetter): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${t.deadLetters}
       (projection, generation, status, ordering_key, position, event_id, stream_id, event_type, event,
        error_message, error_stack, attempts)
     VALUES ($1, $2, $3, $4, $5::bigint, $6, $7, $8, $9::json, $10, $11, $12)
     RETURNING id`,
    [
      d.projection,
      d.generation,
      d.status,
      d.orderingKey,
      d.event.position.toString(),
      d.event.id,
      d.event.streamId,
      d.event.type,
      eventToJson(d.event),
      d.error?.message ?? null,
      d.error?.stack ?? null,
      d.attempts,
    ],
  );
  return Number(rows[0]?.id);
}
