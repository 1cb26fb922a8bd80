/** The HTTP status and JSON body of an error: one mapping from the error catalog's codes. */
import { type ErrorCode, ErrorCodes, isFactumError } from '../core/errors.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCodes.INVALID_ARGUMENT]: 400,
  [ErrorCodes.INVALID_STREAM_ID]: 400,
  [ErrorCodes.INVALID_EVENT]: 400,
  [ErrorCodes.UNAUTHENTICATED]: 401,
  [ErrorCodes.FORBIDDEN]: 403,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.PROJECTION_NOT_FOUND]: 404,
  [ErrorCodes.SAGA_NOT_FOUND]: 404,
  [ErrorCodes.CONCURRENCY]: 409,
  [ErrorCodes.LOCK_HELD]: 409,
  [ErrorCodes.NOT_SUPPORTED]: 501,
  [ErrorCodes.STORE_UNAVAILABLE]: 503,
  [ErrorCodes.STORE_CLOSED]: 503,
  [ErrorCodes.MIGRATION_REQUIRED]: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; retriable: boolean };
}

/** A Factum error keeps its code and message; anything else is a 500 whose details stay in the server's log. */
export function httpError(error: unknown): { status: number; body: ErrorBody } {
  if (isFactumError(error)) {
    return {
      status: STATUS[error.code] ?? 500,
      body: { error: { code: error.code, message: error.message, retriable: error.retriable } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL_ERROR', message: 'Internal server error', retriable: false } },
  };
}
