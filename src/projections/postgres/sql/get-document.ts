import type { Queryable } from './tables.js';

/** One document by id (parsed by the driver), or undefined. */
export async function getDocument(db: Queryable, table: string, id: string): Promise<object | undefined> {
  const { rows } = await db.query<{ doc: object }>(`SELECT doc FROM ${table} WHERE id = $1`, [id]);
  return rows[0]?.doc;
}
