import type Database from 'better-sqlite3';
import { statement } from './statement.js';

export function deleteCheckpoint(db: Database.Database, projection: string, generation: number): void {
  statement(db, 'DELETE FROM factum_projection_checkpoints WHERE projection = ? AND generation = ?').run(
    projection,
    generation,
  );
}
