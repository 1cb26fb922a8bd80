import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** The position saved under `name` in `factum_checkpoints`. */
export function getCheckpoint(db: Database.Database, name: string): bigint | undefined {
  // Read as a bigint: positions may exceed 2^53.
  const row = statement<{ position: bigint }>(db, 'SELECT position FROM factum_checkpoints WHERE name = ?')
    .safeIntegers(true)
    .get(name);
  return row?.position;
}

/**
 * Saves a checkpoint (in the transaction that made the work it stands for durable); a position lower
 * than the saved one is ignored: a checkpoint never moves back.
 */
export function setCheckpoint(db: Database.Database, name: string, position: bigint, now: number): void {
  statement(
    db,
    `INSERT INTO factum_checkpoints (name, position, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET position = max(position, excluded.position), updated_at = excluded.updated_at`,
  ).run(name, position, now);
}

export function deleteCheckpoint(db: Database.Database, name: string): void {
  statement(db, 'DELETE FROM factum_checkpoints WHERE name = ?').run(name);
}
