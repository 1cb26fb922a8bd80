import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { Condition } from '../../filter.js';
import { compileWhere } from './compile-filter.js';

/** How many documents match the conditions. */
export function countDocuments(
  db: Database.Database,
  table: string,
  conditions: readonly Condition[],
): number {
  const params: unknown[] = [];
  const where = compileWhere(conditions, params);
  return (
    statement<number>(db, `SELECT count(*) FROM ${table}${where}`)
      .pluck()
      .get(...params) ?? 0
  );
}
