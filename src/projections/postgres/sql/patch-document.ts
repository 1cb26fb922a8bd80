import type { Queryable } from './tables.js';

/**
 * Sets top-level fields of a document in place (`doc || changes`: a shallow merge, the given keys
 * replaced). Returns whether the document exists.
 */
export async function patchDocument(
  db: Queryable,
  table: string,
  id: string,
  json: string,
): Promise<boolean> {
  const result = await db.query(`UPDATE ${table} SET doc = doc || $2::jsonb WHERE id = $1`, [id, json]);
  return (result.rowCount ?? 0) > 0;
}
