import type Database from 'better-sqlite3';
import { ErrorCodes, ValidationError } from '../../../core/errors.js';
import { statement } from '../../../stores/sqlite/kit.js';

/** Records which projection owns each read-model name; refuses a name another projection owns. */
export function claimObjects(
  db: Database.Database,
  projection: string,
  objects: readonly { name: string; kind: 'documents' | 'table' }[],
): void {
  const owner = statement<{ projection: string; kind: string }>(
    db,
    'SELECT projection, kind FROM factum_projection_objects WHERE name = ?',
  );
  const insert = statement(
    db,
    'INSERT INTO factum_projection_objects (name, projection, kind) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind',
  );
  for (const o of objects) {
    const existing = owner.get(o.name);
    if (existing !== undefined && existing.projection !== projection) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'documents',
        `Projection ${projection} declares '${o.name}', which projection ${existing.projection} already owns`,
      );
    }
    insert.run(o.name, projection, o.kind);
  }
}
