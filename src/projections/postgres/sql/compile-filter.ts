import type { CheckedFind, Condition } from '../../filter.js';
import { fieldExpression } from './field-expression.js';

/** A WHERE clause (or '') for checked conditions; every value is a bound jsonb parameter. */
export function compileWhere(conditions: readonly Condition[], params: unknown[]): string {
  if (conditions.length === 0) return '';
  const bind = (value: unknown) => {
    params.push(JSON.stringify(value));
    return `$${params.length}::jsonb`;
  };
  const parts = conditions.map((c) => {
    const expr = fieldExpression(c.field);
    switch (c.op) {
      case 'eq':
        return c.value === null ? `${expr} IS NULL` : `${expr} = ${bind(c.value)}`;
      case 'ne':
        return c.value === null ? `${expr} IS NOT NULL` : `${expr} IS DISTINCT FROM ${bind(c.value)}`;
      case 'in': {
        const values = (c.value as readonly (string | number | null)[]).filter((v) => v !== null);
        if (values.length === 0) return 'false';
        params.push(values.map((v) => JSON.stringify(v)));
        return `${expr} = ANY ($${params.length}::jsonb[])`;
      }
      default:
        return `${expr} ${{ gt: '>', gte: '>=', lt: '<', lte: '<=' }[c.op]} ${bind(c.value)}`;
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
  sql += 'id COLLATE "C"';
  if (find.limit !== undefined) {
    params.push(find.limit);
    sql += ` LIMIT $${params.length}`;
  }
  if (find.offset !== undefined) {
    params.push(find.offset);
    sql += ` OFFSET $${params.length}`;
  }
  return sql;
}
