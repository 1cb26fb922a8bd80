import { quoteIdent } from '../../names.js';
import type { GenerationLayout } from '../../storage.js';
import { generationTable } from './field-expression.js';
import type { ProjectionTables, Queryable } from './tables.js';

/**
 * Points readers' plain names at one generation: a view per collection and raw table, in the store's
 * schema. DDL is transactional in PostgreSQL, so inside the swap transaction readers go from the old
 * generation to the new one at the commit. Drop and create (not CREATE OR REPLACE): a raw table's
 * columns may differ between versions.
 */
export async function publishGeneration(
  db: Queryable,
  t: ProjectionTables,
  layout: GenerationLayout,
): Promise<void> {
  for (const name of [...Object.keys(layout.documents), ...layout.tables]) {
    const view = `${t.schema.quoted}.${quoteIdent(name)}`;
    await db.query(`DROP VIEW IF EXISTS ${view}`);
    await db.query(`CREATE VIEW ${view} AS SELECT * FROM ${generationTable(t, name, layout.generation)}`);
  }
}
