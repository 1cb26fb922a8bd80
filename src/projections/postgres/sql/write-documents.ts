import type { Queryable } from './tables.js';

/**
 * Writes many documents of one table in two statements: deletes (`ids` with a null document) and
 * upserts (whole documents as JSON text), each id at most once. Values are bound arrays.
 */
export async function writeDocuments(
  db: Queryable,
  table: string,
  writes: ReadonlyMap<string, string | null>,
): Promise<void> {
  const deleted: string[] = [];
  const ids: string[] = [];
  const docs: string[] = [];
  for (const [id, json] of writes) {
    if (json === null) deleted.push(id);
    else {
      ids.push(id);
      docs.push(json);
    }
  }
  if (deleted.length > 0) await db.query(`DELETE FROM ${table} WHERE id = ANY ($1::text[])`, [deleted]);
  if (ids.length > 0) {
    await db.query(
      `INSERT INTO ${table} (id, doc) SELECT * FROM unnest($1::text[], $2::jsonb[])
       ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
      [ids, docs],
    );
  }
}
