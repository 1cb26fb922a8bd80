import type { PreparedEvent } from '../../../core/validation.js';
import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/** Writes one outbox row with the stream's next version; returns its position. */
export async function insertOutbox(
  db: Queryable,
  names: MessagingNames,
  streamId: string,
  category: string,
  event: PreparedEvent,
): Promise<bigint> {
  const { rows } = await db.query<{ position: string }>({
    text: `INSERT INTO ${names.outbox}
  (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
SELECT $1::uuid, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6::json, $7::json, now()
FROM ${names.outbox} WHERE stream_id = $2
RETURNING position::text AS position`,
    values: [event.id, streamId, category, event.type, event.schemaVersion, event.data, event.metadata],
  });
  return BigInt(rows[0]!.position);
}
