import { ErrorCodes, ValidationError } from '../core/errors.js';

/** Projection, collection and table names: they become SQL identifiers, so only this shape is allowed. */
const NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
export const MAX_NAME_LENGTH = 48;

/** A document field or dotted path; it is written into SQL (json paths), so only this shape is allowed. */
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const MAX_FIELD_LENGTH = 128;

/** Checks a projection, collection or raw table name: lower-case words joined by single '_', not 'factum_…'. */
export function assertName(kind: string, name: unknown, field = kind): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      field,
      `Invalid ${kind} name ${JSON.stringify(name)}: use lower-case letters and digits in words joined by single '_', starting with a letter, at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  if (name.startsWith('factum_')) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      field,
      `Invalid ${kind} name '${name}': names starting with 'factum_' are reserved`,
    );
  }
}

/** Checks a document field path ('status', 'address.city'). */
export function assertField(field: unknown, where = 'field'): asserts field is string {
  if (typeof field !== 'string' || !FIELD.test(field) || field.length > MAX_FIELD_LENGTH) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      where,
      `Invalid field ${JSON.stringify(field)}: use names of letters, digits and '_' joined by '.', at most ${MAX_FIELD_LENGTH} characters`,
    );
  }
}

/** The physical name of a read-model object in one generation: 'order_summaries__g2'. */
export function physicalName(name: string, generation: number): string {
  return `${name}__g${generation}`;
}

/** Double-quotes an identifier that passed assertName (or was built by physicalName). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Checks a document id: a non-empty string. */
export function assertDocumentId(id: unknown, collection: string): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'id',
      `Invalid document id ${JSON.stringify(id)} in ${collection}: expected a non-empty string`,
    );
  }
}
