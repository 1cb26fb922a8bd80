import type { DeadLetter } from '../../storage.js';
import type { ProjectionTables, Queryable } from './tables.js';

/** Changes status, error, attempts or the pending action of a dead letter (absent fields stay). */
export async function updateDeadLetter(
  db: Queryable,
  t: ProjectionTables,
  id: number,
  changes: Partial<Pick<DeadLetter, 'status' | 'error' | 'attempts' | 'action'>>,
): Promise<void> {
  const sets: string[] = ['updated_at = now()'];
  const params: unknown[] = [];
  const set = (column: string, value: unknown) => {
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  };
  if (changes.status !== undefined) set('status', changes.status);
  if (changes.error !== undefined) {
    set('error_message', changes.error?.message ?? null);
    set('error_stack', changes.error?.stack ?? null);
  }
  if (changes.attempts !== undefined) set('attempts', changes.attempts);
  if (changes.action !== undefined) set('action', changes.action);
  params.push(id);
  await db.query(`UPDATE ${t.deadLetters} SET ${sets.join(', ')} WHERE id = $${params.length}`, params);
}
