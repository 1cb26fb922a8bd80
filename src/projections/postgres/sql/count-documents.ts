import type { Condition } from '../../filter.js';
import { compileWhere } from './compile-filter.js';
import type { Queryable } from './tables.js';

/** How many documents match the conditions. */
export async function countDocuments(
  db: Queryable,
  table: string,
  conditions: readonly Condition[],
): Promise<number> {
  const params: unknown[] = [];
  const where = compileWhere(conditions, params);
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}${where}`, params);
  return rows[0]?.n ?? 0;
}
