import type { Queryable } from './queryable.js';

/** The position saved under `name` in `<schema>.factum_checkpoints` (bigint, lossless). */
export async function getCheckpoint(db: Queryable, table: string, name: string): Promise<bigint | undefined> {
  const { rows } = await db.query<{ position: string }>(
    `SELECT position::text AS position FROM ${table} WHERE name = $1`,
    [name],
  );
  return rows[0] === undefined ? undefined : BigInt(rows[0].position);
}

/**
 * Saves a checkpoint (in the transaction that made the work it stands for durable); a position lower
 * than the saved one is ignored: a checkpoint never moves back.
 */
export async function setCheckpoint(
  db: Queryable,
  table: string,
  name: string,
  position: bigint,
): Promise<void> {
  await db.query(
    `INSERT INTO ${table} (name, position) VALUES ($1, $2::bigint)
     ON CONFLICT (name) DO UPDATE SET position = GREATEST(${table}.position, excluded.position), updated_at = now()`,
    [name, position.toString()],
  );
}

export async function deleteCheckpoint(db: Queryable, table: string, name: string): Promise<void> {
  await db.query(`DELETE FROM ${table} WHERE name = $1`, [name]);
}
