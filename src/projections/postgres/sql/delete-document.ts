import type { Queryable } from './tables.js';

/** Deletes a document; returns whether there was one. */
export async function deleteDocument(db: Queryable, table: string, id: string): Promise<boolean> {
  const result = await db.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
  return (result.rowCount ?? 0) > 0;
}
