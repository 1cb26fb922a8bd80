import type { ProjectionRecord } from '../../storage.js';
import type { ProjectionTables, Queryable } from './tables.js';

/** Inserts or updates a projection's registry row. */
export async function putProjection(
  db: Queryable,
  t: ProjectionTables,
  r: Omit<ProjectionRecord, 'createdAt' | 'updatedAt' | 'paused'>,
): Promise<void> {
  await db.query(
    `INSERT INTO ${t.projections}
       (name, mode, version, live_generation, building_generation, sla_max_lag_ms)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (name) DO UPDATE SET
       mode = excluded.mode, version = excluded.version, live_generation = excluded.live_generation,
       building_generation = excluded.building_generation, sla_max_lag_ms = excluded.sla_max_lag_ms,
       updated_at = now()`,
    [r.name, r.mode, r.version, r.liveGeneration, r.buildingGeneration, r.slaMaxLagMs],
  );
}
