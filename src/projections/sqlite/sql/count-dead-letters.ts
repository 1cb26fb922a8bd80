import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

export function countDeadLetters(
  db: Database.Database,
  projection: string,
  generation: number,
): { dead: number; parked: number } {
  const row = statement<{ dead: number | null; parked: number | null }>(
    db,
    `SELECT sum(status = 'dead') AS dead, sum(status = 'parked') AS parked
       FROM factum_projection_dead_letters WHERE projection = ? AND generation = ?`,
  ).get(projection, generation);
  return { dead: row?.dead ?? 0, parked: row?.parked ?? 0 };
}
