import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { ProjectionPause, ProjectionRecord } from '../../storage.js';

interface Row {
  name: string;
  mode: 'async' | 'inline';
  version: number;
  live_generation: number;
  building_generation: number | null;
  sla_max_lag_ms: number | null;
  paused: string | null;
  created_at: number;
  updated_at: number;
}

export const COLUMNS =
  'name, mode, version, live_generation, building_generation, sla_max_lag_ms, paused, created_at, updated_at';

export function toRecord(row: Row): ProjectionRecord {
  return {
    name: row.name,
    mode: row.mode,
    version: row.version,
    liveGeneration: row.live_generation,
    buildingGeneration: row.building_generation,
    slaMaxLagMs: row.sla_max_lag_ms,
    paused:
      row.paused === null
        ? null
        : pauseOf(JSON.parse(row.paused) as { at: number; by: string; reason: string }),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function pauseOf(stored: { at: number | string; by: string; reason: string }): ProjectionPause {
  return { at: new Date(stored.at), by: stored.by, reason: stored.reason };
}

/** Pauses (or, with null, resumes) a projection; false when it is not registered. */
export function setPaused(
  db: Database.Database,
  name: string,
  paused: ProjectionPause | null,
  now: number,
): boolean {
  const value =
    paused === null
      ? null
      : JSON.stringify({ at: paused.at.getTime(), by: paused.by, reason: paused.reason });
  return (
    statement(db, 'UPDATE factum_projections SET paused = ?, updated_at = ? WHERE name = ?').run(
      value,
      now,
      name,
    ).changes > 0
  );
}

/** One projection's registry row. */
export function getProjection(db: Database.Database, name: string): ProjectionRecord | undefined {
  const row = statement<Row>(db, `SELECT ${COLUMNS} FROM factum_projections WHERE name = ?`).get(name);
  return row === undefined ? undefined : toRecord(row);
}
