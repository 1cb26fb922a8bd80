import type { CheckedFind, Condition } from '../../filter.js';
import { compileFind, compileWhere } from './compile-filter.js';
import type { Queryable } from './tables.js';

/** Documents matching the conditions, ordered and paged (parsed by the driver: fresh copies). */
export async function findDocuments(
  db: Queryable,
  table: string,
  conditions: readonly Condition[],
  find: CheckedFind,
): Promise<object[]> {
  const params: unknown[] = [];
  const where = compileWhere(conditions, params);
  const tail = compileFind(find, params);
  const { rows } = await db.query<{ doc: object }>(`SELECT doc FROM ${table}${where}${tail}`, params);
  return rows.map((r) => r.doc);
}
