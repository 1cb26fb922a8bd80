import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** One document's JSON text by id. */
export function getDocument(db: Database.Database, table: string, id: string): string | undefined {
  return statement<string>(db, `SELECT doc FROM ${table} WHERE id = ?`).pluck().get(id);
}
