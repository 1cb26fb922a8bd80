import type Database from 'better-sqlite3';
import { statement } from './statement.js';

/** The last position a projection generation applied. */
export function getCheckpoint(
  db: Database.Database,
  projection: string,
  generation: number,
): bigint | undefined {
  const row = statement<{ position: number }>(
    db,
    'SELECT position FROM factum_projection_checkpoints WHERE projection = ? AND generation = ?',
  ).get(projection, generation);
  return row === undefined ? undefined : BigInt(row.position);
}
