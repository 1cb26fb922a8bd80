import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** The statement that inserts or replaces a whole document of `table`: run it with (id, json). */
export function upsertDocumentStatement(db: Database.Database, table: string): Database.Statement<unknown[]> {
  return statement(
    db,
    `INSERT INTO ${table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
  );
}

/** Inserts or replaces a whole document. */
export function upsertDocument(db: Database.Database, table: string, id: string, json: string): void {
  upsertDocumentStatement(db, table).run(id, json);
}
