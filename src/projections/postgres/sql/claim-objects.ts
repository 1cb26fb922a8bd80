import { ErrorCodes, ValidationError } from '../../../core/errors.js';
import type { ProjectionTables, Queryable } from './tables.js';

/** Records which projection owns each read-model name; refuses a name another projection owns. */
export async function claimObjects(
  db: Queryable,
  t: ProjectionTables,
  projection: string,
  objects: readonly { name: string; kind: 'documents' | 'table' }[],
): Promise<void> {
  for (const o of objects) {
    const { rows } = await db.query<{ projection: string }>(
      `SELECT projection FROM ${t.objects} WHERE name = $1`,
      [o.name],
    );
    const existing = rows[0];
    if (existing !== undefined && existing.projection !== projection) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'documents',
        `Projection ${projection} declares '${o.name}', which projection ${existing.projection} already owns`,
      );
    }
    await db.query(
      `INSERT INTO ${t.objects} (name, projection, kind) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET kind = excluded.kind`,
      [o.name, projection, o.kind],
    );
  }
}
