import type Database from 'better-sqlite3';
import { deleteDocument } from './delete-document.js';
import { upsertDocument } from './upsert-document.js';

/** Writes a table's buffered documents: each id's whole document (JSON text), or its delete (null). */
export function writeDocuments(
  db: Database.Database,
  table: string,
  writes: ReadonlyMap<string, string | null>,
): void {
  for (const [id, json] of writes) {
    if (json === null) deleteDocument(db, table, id);
    else upsertDocument(db, table, id, json);
  }
}
