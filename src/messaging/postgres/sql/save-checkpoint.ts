import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/** Saves a checkpoint's position; never moves it back. */
export async function saveCheckpoint(
  db: Queryable,
  names: MessagingNames,
  name: string,
  position: bigint,
): Promise<void> {
  await db.query({
    text: `INSERT INTO ${names.checkpoints} AS saved (name, position, updated_at) VALUES ($1, $2::bigint, now())
ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
WHERE excluded.position > saved.position`,
    values: [name, position.toString()],
  });
}
