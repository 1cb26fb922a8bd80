import type { CheckedFind, Condition } from '../../filter.js';
import { fieldExpression } from './field-expression.js';

/** A WHERE clause (or '') for checked conditions; every value is a bound parameter. */
export function compileWhere(conditions: readonly Condition[], params: unknown[]): string {
  if (conditions.length === 0) return '';
  const parts = conditions.map((c) => {
    const expr = fieldExpression(c.field);
    switch (c.op) {
      case 'eq':
        if (c.value === null) return `${expr} IS NULL`;
        params.push(c.value);
        return `${expr} = ?`;
      case 'ne':
        params.push(c.value);
        return `${expr} IS NOT ?`;
      case 'in': {
        const values = (c.value as readonly (string | number | null)[]).filter((v) => v !== null);
        if (values.length === 0) return '0';
        params.push(...values);
        return `${expr} IN (${values.map(() => '?').join(', ')})`;
      }
      default:
        params.push(c.value);
        return `${expr} ${{ gt: '>', gte: '>=', lt: '<', lte: '<=' }[c.op]} ?`;
    }
  });
  return ` WHERE ${parts.join(' AND ')}`;
}

/** ORDER BY / LIMIT / OFFSET: missing values last ascending, first descending, then by id. */
export function compileFind(find: CheckedFind, params: unknown[]): string {
  let sql = ' ORDER BY ';
  if (find.orderBy !== undefined) {
    const expr = fieldExpression(find.orderBy.field);
    sql += find.orderBy.direction === 'asc' ? `${expr} ASC NULLS LAST, ` : `${expr} DESC NULLS FIRST, `;
  }
  sql += 'id';
  if (find.limit !== undefined || find.offset !== undefined) {
    sql += ' LIMIT ?';
    params.push(find.limit ?? -1);
  }
  if (find.offset !== undefined) {
    sql += ' OFFSET ?';
    params.push(find.offset);
  }
  return sql;
}
