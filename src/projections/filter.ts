import { ErrorCodes, ValidationError } from '../core/errors.js';
import { assertField } from './names.js';
import type { FieldCondition, Filter, FindOptions, Scalar } from './types.js';

export type Operator = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in';

/** One checked condition: `field op value`. Booleans are already numbers (1/0), as SQL JSON functions give them. */
export interface Condition {
  field: string;
  op: Operator;
  value: string | number | null | readonly (string | number | null)[];
}

export interface CheckedFind {
  orderBy: { field: string; direction: 'asc' | 'desc' } | undefined;
  limit: number | undefined;
  offset: number | undefined;
}

const OPERATORS = new Set<string>(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in']);

/** Validates a filter and flattens it into conditions (all must hold). Throws ValidationError. */
export function checkFilter(filter: Filter | undefined): Condition[] {
  if (filter === undefined) return [];
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw invalid('filter', 'A filter must be an object of field conditions');
  }
  const conditions: Condition[] = [];
  for (const [field, spec] of Object.entries(filter)) {
    assertField(field, `filter.${field}`);
    if (isScalar(spec)) {
      conditions.push({ field, op: 'eq', value: scalar(field, spec) });
      continue;
    }
    if (typeof spec !== 'object' || Array.isArray(spec)) {
      throw invalid(`filter.${field}`, `Filter on ${field}: expected a value or an object of operators`);
    }
    const entries = Object.entries(spec as FieldCondition);
    if (entries.length === 0) throw invalid(`filter.${field}`, `Filter on ${field}: no operator given`);
    for (const [op, value] of entries) {
      if (!OPERATORS.has(op)) {
        throw invalid(
          `filter.${field}.${op}`,
          `Filter on ${field}: unknown operator '${op}' (use eq, ne, gt, gte, lt, lte, in)`,
        );
      }
      if (value === undefined) continue;
      if (op === 'in') {
        if (!Array.isArray(value))
          throw invalid(`filter.${field}.in`, `Filter on ${field}: 'in' takes an array`);
        conditions.push({ field, op, value: value.map((v: unknown) => scalar(field, v)) });
      } else if (op === 'eq' || op === 'ne') {
        conditions.push({ field, op, value: scalar(field, value) });
      } else {
        if (typeof value !== 'string' && (typeof value !== 'number' || !Number.isFinite(value))) {
          throw invalid(
            `filter.${field}.${op}`,
            `Filter on ${field}: '${op}' takes a string or a finite number`,
          );
        }
        conditions.push({ field, op: op as Operator, value });
      }
    }
  }
  return conditions;
}

export function checkFind(options: FindOptions | undefined): CheckedFind {
  const o = options ?? {};
  let orderBy: CheckedFind['orderBy'];
  if (o.orderBy !== undefined) {
    const [field, direction] = typeof o.orderBy === 'string' ? [o.orderBy, 'asc'] : o.orderBy;
    assertField(field, 'orderBy');
    if (direction !== 'asc' && direction !== 'desc') {
      throw invalid('orderBy', `orderBy direction must be 'asc' or 'desc', got ${String(direction)}`);
    }
    orderBy = { field, direction };
  }
  for (const key of ['limit', 'offset'] as const) {
    const v = o[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < (key === 'limit' ? 1 : 0))) {
      throw invalid(key, `${key} must be an integer >= ${key === 'limit' ? 1 : 0}, got ${String(v)}`);
    }
  }
  return { orderBy, limit: o.limit, offset: o.offset };
}

/** The value of a field path in a document, as SQL JSON functions see it: missing → null, booleans → 1/0. */
export function fieldValue(doc: unknown, field: string): string | number | null {
  let value: unknown = doc;
  for (const part of field.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    value = (value as Record<string, unknown>)[part];
  }
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** SQL ordering of non-null values: numbers before strings, numbers numerically, strings by code unit. */
export function compareValues(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether a document satisfies every condition, with the semantics the SQL stores give. */
export function matches(doc: unknown, conditions: readonly Condition[]): boolean {
  for (const c of conditions) {
    const actual = fieldValue(doc, c.field);
    if (!holds(actual, c)) return false;
  }
  return true;
}

function holds(actual: string | number | null, c: Condition): boolean {
  switch (c.op) {
    case 'eq':
      return c.value === null
        ? actual === null
        : actual !== null && compareValues(actual, c.value as string | number) === 0;
    case 'ne':
      if (c.value === null) return actual !== null;
      return actual === null || compareValues(actual, c.value as string | number) !== 0;
    case 'in':
      return (
        actual !== null &&
        (c.value as readonly (string | number | null)[]).some(
          (v) => v !== null && compareValues(actual, v) === 0,
        )
      );
    default: {
      if (actual === null) return false;
      const d = compareValues(actual, c.value as string | number);
      return c.op === 'gt' ? d > 0 : c.op === 'gte' ? d >= 0 : c.op === 'lt' ? d < 0 : d <= 0;
    }
  }
}

/** Sorts documents the way the SQL stores do: by the field (missing last ascending, first descending), then by id. */
export function sortDocuments<T>(
  rows: { id: string; doc: T }[],
  orderBy: CheckedFind['orderBy'],
): { id: string; doc: T }[] {
  return rows.sort((x, y) => {
    if (orderBy !== undefined) {
      const a = fieldValue(x.doc, orderBy.field);
      const b = fieldValue(y.doc, orderBy.field);
      const sign = orderBy.direction === 'asc' ? 1 : -1;
      if (a === null && b !== null) return sign;
      if (b === null && a !== null) return -sign;
      if (a !== null && b !== null) {
        const d = compareValues(a, b);
        if (d !== 0) return sign * d;
      }
    }
    return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  });
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function scalar(field: string, value: unknown): string | number | null {
  if (value === null || typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw invalid(
    `filter.${field}`,
    `Filter on ${field}: ${String(value)} is not a string, finite number, boolean or null`,
  );
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError(ErrorCodes.INVALID_ARGUMENT, field, message);
}
