import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { ProjectionRecord } from '../../storage.js';
import { COLUMNS, toRecord } from './projection-record.js';

/** Every registered projection, by name. */
export function listProjections(db: Database.Database): ProjectionRecord[] {
  return statement<Parameters<typeof toRecord>[0]>(
    db,
    `SELECT ${COLUMNS} FROM factum_projections ORDER BY name`,
  )
    .all()
    .map(toRecord);
}
