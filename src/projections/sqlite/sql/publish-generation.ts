import type Database from 'better-sqlite3';
import { physicalName, quoteIdent } from '../../names.js';
import type { GenerationLayout } from '../../storage.js';

/**
 * Points readers' plain names at one generation: a view per collection and raw table. Run inside the
 * swap transaction, so readers go from the old generation to the new one at the commit.
 */
export function publishGeneration(db: Database.Database, layout: GenerationLayout): void {
  for (const name of [...Object.keys(layout.documents), ...layout.tables]) {
    db.exec(`DROP VIEW IF EXISTS ${quoteIdent(name)}`);
    db.exec(
      `CREATE VIEW ${quoteIdent(name)} AS SELECT * FROM ${quoteIdent(physicalName(name, layout.generation))}`,
    );
  }
}
