import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

export function deleteDeadLetter(db: Database.Database, id: number): void {
  statement(db, 'DELETE FROM factum_projection_dead_letters WHERE id = ?').run(id);
}
