import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** Inserts or replaces a whole document. */
export function upsertDocument(db: Database.Database, table: string, id: string, json: string): void {
  statement(
    db,
    `INSERT INTO ${table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
  ).run(id, json);
}
