import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** Deletes a document; returns whether there was one. */
export function deleteDocument(db: Database.Database, table: string, id: string): boolean {
  return statement(db, `DELETE FROM ${table} WHERE id = ?`).run(id).changes > 0;
}
