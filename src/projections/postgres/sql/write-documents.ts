import type { Queryable } from './tables.js';

/**
 * Writes many documents of one table in two statements: deletes (`ids` with a null document) and
 * upserts, each id at most once. The deletes bind an array of ids; the upserts bind one JSON array of
 * `{id, doc}` records, built from the documents' JSON text as it is (no array literal to escape, one
 * jsonb parse on the server).
 */
export async function writeDocuments(
  db: Queryable,
  table: string,
  writes: ReadonlyMap<string, string | null>,
): Promise<void> {
  const deleted: string[] = [];
  const records: string[] = [];
  for (const [id, json] of writes) {
    if (json === null) deleted.push(id);
    else records.push(`{"id":${JSON.stringify(id)},"doc":${json}}`);
  }
  if (deleted.length > 0) await db.query(`DELETE FROM ${table} WHERE id = ANY ($1::text[])`, [deleted]);
  if (records.length > 0) {
    await db.query(
      `INSERT INTO ${table} (id, doc) SELECT id, doc FROM jsonb_to_recordset($1::jsonb) AS r(id text, doc jsonb)
       ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
      [`[${records.join(',')}]`],
    );
  }
}
