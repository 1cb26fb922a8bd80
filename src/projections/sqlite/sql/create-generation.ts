import type Database from 'better-sqlite3';
import type { GenerationLayout } from '../../storage.js';
import { collectionTable, fieldExpression, indexName } from './field-expression.js';

/**
 * Creates a generation's document tables (id + JSON text) and one expression index per declared
 * index, if missing. Idempotent, so an index added to a definition later is created on the next start.
 */
export function createGeneration(db: Database.Database, layout: GenerationLayout): void {
  for (const [collection, options] of Object.entries(layout.documents)) {
    const table = collectionTable(collection, layout.generation);
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT NOT NULL PRIMARY KEY, doc TEXT NOT NULL) STRICT`);
    for (const index of options.indexes ?? []) {
      const fields = typeof index === 'string' ? [index] : index;
      db.exec(
        `CREATE INDEX IF NOT EXISTS ${indexName(collection, layout.generation, fields)} ON ${table} (${fields.map(fieldExpression).join(', ')})`,
      );
    }
  }
}
