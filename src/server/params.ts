/** Reading the query string and JSON bodies of the operator API, with the catalog's errors. */
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { formatValue } from '../core/format.js';

const invalid = (field: string, message: string) =>
  new ValidationError(ErrorCodes.INVALID_ARGUMENT, field, message);

/** A log position given as a decimal string. */
export function positionParam(value: string | undefined, field: string): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,19}$/.test(value)) {
    throw invalid(field, `${field} must be a log position (a decimal integer), got ${formatValue(value)}`);
  }
  return BigInt(value);
}

export function intParam(value: string | undefined, field: string, min = 1): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw invalid(field, `${field} must be an integer of at least ${min}, got ${formatValue(value)}`);
  }
  return n;
}

/** A comma-separated list (`types=A,B`). */
export function listParam(value: string | undefined): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  field: string,
): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (!allowed.includes(value as T)) {
    throw invalid(field, `${field} must be one of ${allowed.join(', ')}, got ${formatValue(value)}`);
  }
  return value as T;
}

/** The JSON object body of a request (an empty body is `{}`). */
export async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('body', 'the request body must be JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('body', 'the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** The `reason` of an action: required, recorded in the audit trail. */
export function reasonOf(body: Record<string, unknown>): string {
  const reason = body.reason;
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw invalid('reason', 'a reason is required (a non-empty string): it is recorded in the audit trail');
  }
  if (reason.length > 1_000) throw invalid('reason', 'the reason is longer than 1,000 characters');
  return reason.trim();
}
