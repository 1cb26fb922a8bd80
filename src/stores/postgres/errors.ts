import { ErrorCodes, FactumError, StoreUnavailableError, ValidationError } from '../../core/errors.js';

/** SQLSTATEs after which the same call can succeed once the database is reachable or less busy. */
const UNAVAILABLE_SQLSTATES = new Set([
  '53000', // insufficient_resources
  '53100', // disk_full
  '53200', // out_of_memory
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown (pg_terminate_backend, fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '58000', // system_error
  '58030', // io_error
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
]);

/** Node socket errors that mean the server could not be reached or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Messages node-postgres uses (without a code) for a lost or unusable connection. */
const CONNECTION_MESSAGES =
  /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed|Connection terminated unexpectedly|server closed the connection/i;

/** Whether a driver error means the database is unreachable or the connection was lost. */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || NETWORK_CODES.has(code)) return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
}

/**
 * Driver errors become Factum errors at this edge; Factum's own errors pass through unchanged.
 * Lost connections, restarts and overload become a retriable StoreUnavailableError with the driver
 * error as its cause; data PostgreSQL cannot store becomes a ValidationError.
 */
export function translate(error: unknown, operation: string): Error {
  if (error instanceof FactumError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isConnectionError(error)) {
    return new StoreUnavailableError(`PostgreSQL could not ${operation}: ${message}`, { cause: error });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '22P05' || code === '22021' || code === '54000') {
    return new ValidationError(
      ErrorCodes.INVALID_EVENT,
      'events',
      `PostgreSQL cannot store this data (${operation}): ${message}`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** The name of the constraint a unique violation (23505) broke, or undefined for any other error. */
export function uniqueViolation(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; constraint?: unknown };
  return e.code === '23505' && typeof e.constraint === 'string' ? e.constraint : undefined;
}
