import type { ProjectionTables, Queryable } from './tables.js';

export async function deleteDeadLetter(db: Queryable, t: ProjectionTables, id: number): Promise<void> {
  await db.query(`DELETE FROM ${t.deadLetters} WHERE id = $1`, [id]);
}
