import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { DeadLetter } from '../../storage.js';

/** Changes status, error, attempts or the pending action of a dead letter (absent fields stay). */
export function updateDeadLetter(
  db: Database.Database,
  id: number,
  changes: Partial<Pick<DeadLetter, 'status' | 'error' | 'attempts' | 'action'>>,
  now: number,
): void {
  const sets: string[] = ['updated_at = ?'];
  const params: unknown[] = [now];
  if (changes.status !== undefined) {
    sets.push('status = ?');
    params.push(changes.status);
  }
  if (changes.error !== undefined) {
    sets.push('error_message = ?', 'error_stack = ?');
    params.push(changes.error?.message ?? null, changes.error?.stack ?? null);
  }
  if (changes.attempts !== undefined) {
    sets.push('attempts = ?');
    params.push(changes.attempts);
  }
  if (changes.action !== undefined) {
    sets.push('action = ?');
    params.push(changes.action);
  }
  params.push(id);
  statement(db, `UPDATE factum_projection_dead_letters SET ${sets.join(', ')} WHERE id = ?`).run(...params);
}
