import type { ProjectionTables, Queryable } from './tables.js';

/** Deletes every dead letter of one generation (a rebuild's old generation, a dropped projection). */
export async function deleteDeadLetters(
  db: Queryable,
  t: ProjectionTables,
  projection: string,
  generation: number,
): Promise<void> {
  await db.query(`DELETE FROM ${t.deadLetters} WHERE projection = $1 AND generation = $2`, [
    projection,
    generation,
  ]);
}
