import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/** The saved position of a checkpoint (as a decimal string), or undefined. */
export async function loadCheckpoint(db: Queryable, names: MessagingNames, name: string): Promise<bigint> {
  const { rows } = await db.query<{ position: string }>({
    text: `SELECT position::text AS position FROM ${names.checkpoints} WHERE name = $1`,
    values: [name],
  });
  return rows[0] === undefined ? 0n : BigInt(rows[0].position);
}
