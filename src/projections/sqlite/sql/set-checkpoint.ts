import type Database from 'better-sqlite3';
import { statement } from './statement.js';

/** Moves a projection generation's checkpoint (in the transaction that wrote the read-model rows). */
export function setCheckpoint(
  db: Database.Database,
  projection: string,
  generation: number,
  position: bigint,
  now: number,
): void {
  statement(
    db,
    `INSERT INTO factum_projection_checkpoints (projection, generation, position, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (projection, generation) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
  ).run(projection, generation, position, now);
}
