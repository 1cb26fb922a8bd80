import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { ProjectionRecord } from '../../storage.js';

interface Row {
  name: string;
  mode: 'async' | 'inline';
  version: number;
  live_generation: number;
  building_generation: number | null;
  sla_max_lag_ms: number | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS =
  'name, mode, version, live_generation, building_generation, sla_max_lag_ms, created_at, updated_at';

export function toRecord(row: Row): ProjectionRecord {
  return {
    name: row.name,
    mode: row.mode,
    version: row.version,
    liveGeneration: row.live_generation,
    buildingGeneration: row.building_generation,
    slaMaxLagMs: row.sla_max_lag_ms,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** One projection's registry row. */
export function getProjection(db: Database.Database, name: string): ProjectionRecord | undefined {
  const row = statement<Row>(db, `SELECT ${COLUMNS} FROM factum_projections WHERE name = ?`).get(name);
  return row === undefined ? undefined : toRecord(row);
}
