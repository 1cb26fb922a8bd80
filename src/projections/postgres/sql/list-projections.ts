import type { ProjectionRecord } from '../../storage.js';
import { PROJECTION_COLUMNS, type ProjectionRow, toRecord } from './projection-record.js';
import type { ProjectionTables, Queryable } from './tables.js';

/** Every registered projection, by name. */
export async function listProjections(db: Queryable, t: ProjectionTables): Promise<ProjectionRecord[]> {
  const { rows } = await db.query<ProjectionRow>(
    `SELECT ${PROJECTION_COLUMNS} FROM ${t.projections} ORDER BY name COLLATE "C"`,
  );
  return rows.map(toRecord);
}
