import type { GenerationLayout } from '../../storage.js';
import { generationTable } from './field-expression.js';
import type { ProjectionTables, Queryable } from './tables.js';

/** Drops every table of a generation (document collections and raw tables; their indexes go with them). */
export async function dropGeneration(
  db: Queryable,
  t: ProjectionTables,
  layout: GenerationLayout,
): Promise<void> {
  for (const name of [...Object.keys(layout.documents), ...layout.tables]) {
    await db.query(`DROP TABLE IF EXISTS ${generationTable(t, name, layout.generation)}`);
  }
}
