import { ErrorCodes, ProjectionNotFoundError, ValidationError } from '../core/errors.js';
import type { GenerationLayout } from './storage.js';

// The checks every storage's document API makes on its arguments, in one place so that each
// storage refuses the same calls with the same errors.

/** A document to store: a JSON object (not an array, not null), as its JSON text. */
export function documentJson(doc: unknown, collection: string, id: string): string {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'doc',
      `Document ${collection}/${id} must be a JSON object, got ${Array.isArray(doc) ? 'an array' : typeof doc}`,
    );
  }
  return JSON.stringify(doc);
}

/** The fields a patch sets: `changes` must be an object; fields whose value is undefined are left out. */
export function patchFields(changes: unknown, collection: string, id: string): [string, unknown][] {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'changes',
      `patch of ${collection}/${id}: changes must be an object`,
    );
  }
  return Object.entries(changes).filter(([, v]) => v !== undefined);
}

/** A collection the projection declared (in `documents`). */
export function assertDeclaredCollection(layout: GenerationLayout, collection: string): void {
  if (!Object.hasOwn(layout.documents, collection)) {
    throw new ProjectionNotFoundError(
      `collection '${collection}' is not declared by projection ${layout.projection} (declare it in documents)`,
    );
  }
}

/** A raw table the projection declared (in `tables`). */
export function assertDeclaredTable(layout: GenerationLayout, name: string): void {
  if (!layout.tables.includes(name)) {
    throw new ProjectionNotFoundError(
      `table '${name}' is not declared by projection ${layout.projection} (declare it in tables)`,
    );
  }
}
