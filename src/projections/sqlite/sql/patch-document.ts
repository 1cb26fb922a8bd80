import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/**
 * Sets top-level fields of a document in place: `json_set(doc, '$."k"', json(?), …)`. Paths and values
 * are bound parameters (`entries` holds [path, JSON text] pairs). Returns whether the document exists.
 */
export function patchDocument(
  db: Database.Database,
  table: string,
  id: string,
  entries: readonly (readonly [string, string])[],
): boolean {
  const sets = entries.map(() => '?, json(?)').join(', ');
  const params: unknown[] = [];
  for (const [path, json] of entries) params.push(path, json);
  params.push(id);
  return (
    statement(db, `UPDATE ${table} SET doc = json_set(doc, ${sets}) WHERE id = ?`).run(...params).changes > 0
  );
}
