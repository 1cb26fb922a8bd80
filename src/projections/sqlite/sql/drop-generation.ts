import type Database from 'better-sqlite3';
import { forgetStatements } from '../../../stores/sqlite/kit.js';
import { physicalName, quoteIdent } from '../../names.js';
import type { GenerationLayout } from '../../storage.js';

/** Drops every table of a generation (document collections and raw tables; their indexes go with them). */
export function dropGeneration(db: Database.Database, layout: GenerationLayout): void {
  for (const name of [...Object.keys(layout.documents), ...layout.tables]) {
    const physical = physicalName(name, layout.generation);
    forgetStatements(db, quoteIdent(physical));
    db.exec(`DROP TABLE IF EXISTS ${quoteIdent(physical)}`);
  }
}
