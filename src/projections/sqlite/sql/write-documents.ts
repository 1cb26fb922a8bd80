import type Database from 'better-sqlite3';
import { deleteDocumentStatement } from './delete-document.js';
import { upsertDocumentStatement } from './upsert-document.js';

/** Writes a table's buffered documents: each id's whole document (JSON text), or its delete (null). */
export function writeDocuments(
  db: Database.Database,
  table: string,
  writes: ReadonlyMap<string, string | null>,
): void {
  const upsert = upsertDocumentStatement(db, table);
  let remove: Database.Statement<unknown[]> | undefined;
  for (const [id, json] of writes) {
    if (json !== null) upsert.run(id, json);
    else {
      remove ??= deleteDocumentStatement(db, table);
      remove.run(id);
    }
  }
}
