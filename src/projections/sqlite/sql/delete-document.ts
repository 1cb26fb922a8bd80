import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** The statement that deletes a document of `table`: run it with (id). */
export function deleteDocumentStatement(db: Database.Database, table: string): Database.Statement<unknown[]> {
  return statement(db, `DELETE FROM ${table} WHERE id = ?`);
}

/** Deletes a document; returns whether there was one. */
export function deleteDocument(db: Database.Database, table: string, id: string): boolean {
  return deleteDocumentStatement(db, table).run(id).changes > 0;
}
