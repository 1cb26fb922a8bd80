import type { ProjectionRecord } from '../../storage.js';
import type { ProjectionTables, Queryable } from './tables.js';

export interface ProjectionRow {
  name: string;
  mode: 'async' | 'inline';
  version: number;
  live_generation: number;
  building_generation: number | null;
  sla_max_lag_ms: string | null;
  created_at: Date;
  updated_at: Date;
}

export const PROJECTION_COLUMNS =
  'name, mode, version, live_generation, building_generation, sla_max_lag_ms, created_at, updated_at';

export function toRecord(row: ProjectionRow): ProjectionRecord {
  return {
    name: row.name,
    mode: row.mode,
    version: row.version,
    liveGeneration: row.live_generation,
    buildingGeneration: row.building_generation,
    slaMaxLagMs: row.sla_max_lag_ms === null ? null : Number(row.sla_max_lag_ms),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** One projection's registry row. */
export async function getProjection(
  db: Queryable,
  t: ProjectionTables,
  name: string,
): Promise<ProjectionRecord | undefined> {
  const { rows } = await db.query<ProjectionRow>(
    `SELECT ${PROJECTION_COLUMNS} FROM ${t.projections} WHERE name = $1`,
    [name],
  );
  return rows[0] === undefined ? undefined : toRecord(rows[0]);
}
