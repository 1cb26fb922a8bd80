import type { ProjectionTables, Queryable } from './tables.js';

/** A generation's checkpoint (bigint, lossless), or undefined before its first batch. */
export async function getCheckpoint(
  db: Queryable,
  t: ProjectionTables,
  projection: string,
  generation: number,
): Promise<bigint | undefined> {
  const { rows } = await db.query<{ position: string }>(
    `SELECT position::text AS position FROM ${t.checkpoints} WHERE projection = $1 AND generation = $2`,
    [projection, generation],
  );
  return rows[0] === undefined ? undefined : BigInt(rows[0].position);
}
