import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { ProjectionRecord } from '../../storage.js';

/** Inserts or updates a projection's registry row. */
export function putProjection(
  db: Database.Database,
  r: Omit<ProjectionRecord, 'createdAt' | 'updatedAt' | 'paused'>,
  now: number,
): void {
  statement(
    db,
    `INSERT INTO factum_projections
       (name, mode, version, live_generation, building_generation, sla_max_lag_ms, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET
       mode = excluded.mode, version = excluded.version, live_generation = excluded.live_generation,
       building_generation = excluded.building_generation, sla_max_lag_ms = excluded.sla_max_lag_ms,
       updated_at = excluded.updated_at`,
  ).run(r.name, r.mode, r.version, r.liveGeneration, r.buildingGeneration, r.slaMaxLagMs, now, now);
}
