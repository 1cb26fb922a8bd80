import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { ProjectionRecord } from '../../storage.js';
import { toRecord } from './projection-record.js';

/** Every registered projection, by name. */
export function listProjections(db: Database.Database): ProjectionRecord[] {
  return statement<Parameters<typeof toRecord>[0]>(
    db,
    'SELECT name, mode, version, live_generation, building_generation, sla_max_lag_ms, created_at, updated_at FROM factum_projections ORDER BY name',
  )
    .all()
    .map(toRecord);
}
