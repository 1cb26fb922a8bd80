import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** Ordering keys that have a dead or parked event in this generation. */
export function blockedKeys(db: Database.Database, projection: string, generation: number): Set<string> {
  const keys = statement<string>(
    db,
    'SELECT DISTINCT ordering_key FROM factum_projection_dead_letters WHERE projection = ? AND generation = ? AND ordering_key IS NOT NULL',
  )
    .pluck()
    .all(projection, generation);
  return new Set(keys);
}
