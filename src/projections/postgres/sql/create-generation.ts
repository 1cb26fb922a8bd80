import type { GenerationLayout } from '../../storage.js';
import { fieldExpression, generationTable, indexName } from './field-expression.js';
import type { ProjectionTables, Queryable } from './tables.js';

/**
 * Creates a generation's document tables (id + jsonb) and one expression index per declared index, if
 * missing. Idempotent, so an index added to a definition later is created on the next start. Runs
 * under the storage's transaction lock, so two processes never race on the same CREATE.
 */
export async function createGeneration(
  db: Queryable,
  t: ProjectionTables,
  layout: GenerationLayout,
): Promise<void> {
  for (const [collection, options] of Object.entries(layout.documents)) {
    const table = generationTable(t, collection, layout.generation);
    await db.query(`CREATE TABLE IF NOT EXISTS ${table} (id text NOT NULL PRIMARY KEY, doc jsonb NOT NULL)`);
    for (const index of options.indexes ?? []) {
      const fields = typeof index === 'string' ? [index] : index;
      await db.query(
        `CREATE INDEX IF NOT EXISTS ${indexName(collection, layout.generation, fields)} ON ${table} (${fields.map(fieldExpression).join(', ')})`,
      );
    }
  }
}
