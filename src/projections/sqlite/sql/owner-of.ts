import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** The projection that owns a read-model name. */
export function ownerOf(db: Database.Database, name: string): string | undefined {
  return statement<{ projection: string }>(
    db,
    'SELECT projection FROM factum_projection_objects WHERE name = ?',
  ).get(name)?.projection;
}
