import { FactumError, StoreUnavailableError } from '../../core/errors.js';

/** SQLite result codes after which the same call can succeed: another writer, I/O trouble, a full disk. */
const UNAVAILABLE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL']);

/**
 * Driver errors become Factum errors at this edge; Factum's own errors pass through unchanged.
 * A busy or locked database, an I/O error or a full disk becomes a retriable StoreUnavailableError
 * with the driver error as its cause; anything else is returned as it is.
 */
export function translate(error: unknown, operation: string): Error {
  if (error instanceof FactumError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) {
    return new StoreUnavailableError(`SQLite could not ${operation}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}
