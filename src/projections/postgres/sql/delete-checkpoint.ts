import type { ProjectionTables, Queryable } from './tables.js';

export async function deleteCheckpoint(
  db: Queryable,
  t: ProjectionTables,
  projection: string,
  generation: number,
): Promise<void> {
  await db.query(`DELETE FROM ${t.checkpoints} WHERE projection = $1 AND generation = $2`, [
    projection,
    generation,
  ]);
}
