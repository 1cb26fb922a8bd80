import type { ProjectionPause, ProjectionRecord } from '../../storage.js';
import type { ProjectionTables, Queryable } from './tables.js';

export interface ProjectionRow {
  name: string;
  mode: 'async' | 'inline';
  version: number;
  live_generation: number;
  building_generation: number | null;
  sla_max_lag_ms: string | null;
  paused: { at: number; by: string; reason: string } | null;
  created_at: Date;
  updated_at: Date;
}

export const PROJECTION_COLUMNS =
  'name, mode, version, live_generation, building_generation, sla_max_lag_ms, paused, created_at, updated_at';

export function toRecord(row: ProjectionRow): ProjectionRecord {
  return {
    name: row.name,
    mode: row.mode,
    version: row.version,
    liveGeneration: row.live_generation,
    buildingGeneration: row.building_generation,
    slaMaxLagMs: row.sla_max_lag_ms === null ? null : Number(row.sla_max_lag_ms),
    paused:
      row.paused === null
        ? null
        : { at: new Date(row.paused.at), by: row.paused.by, reason: row.paused.reason },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Pauses (or, with null, resumes) a projection; false when it is not registered. */
export async function setPaused(
  db: Queryable,
  t: ProjectionTables,
  name: string,
  paused: ProjectionPause | null,
): Promise<boolean> {
  const value =
    paused === null
      ? null
      : JSON.stringify({ at: paused.at.getTime(), by: paused.by, reason: paused.reason });
  const result = await db.query(
    `UPDATE ${t.projections} SET paused = $1, updated_at = now() WHERE name = $2`,
    [value, name],
  );
  return (result.rowCount ?? 0) > 0;
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
