import type { Queryable } from './tables.js';

/** Inserts or replaces a whole document (`json` is its JSON text). */
export async function upsertDocument(db: Queryable, table: string, id: string, json: string): Promise<void> {
  await db.query(
    `INSERT INTO ${table} (id, doc) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
    [id, json],
  );
}
