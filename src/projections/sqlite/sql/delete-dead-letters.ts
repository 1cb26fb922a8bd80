import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** Removes every dead letter of a generation (when it is dropped). */
export function deleteDeadLetters(db: Database.Database, projection: string, generation: number): void {
  statement(db, 'DELETE FROM factum_projection_dead_letters WHERE projection = ? AND generation = ?').run(
    projection,
    generation,
  );
}
