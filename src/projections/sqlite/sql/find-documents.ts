import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { CheckedFind, Condition } from '../../filter.js';
import { compileFind, compileWhere } from './compile-filter.js';

/** Documents' JSON text matching the conditions, ordered and paged. */
export function findDocuments(
  db: Database.Database,
  table: string,
  conditions: readonly Condition[],
  find: CheckedFind,
): string[] {
  const params: unknown[] = [];
  const where = compileWhere(conditions, params);
  const tail = compileFind(find, params);
  return statement<string>(db, `SELECT doc FROM ${table}${where}${tail}`)
    .pluck()
    .all(...params);
}
