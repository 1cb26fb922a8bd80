import { errorMessage, translateDriverError } from '../shared/errors.js';

/** Whether a client error (possibly nested in an aggregate or a cause) carries the named Kafka protocol error. */
export function hasApiError(error: unknown, apiId: string): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown): boolean => {
    if (typeof e !== 'object' || e === null || seen.has(e)) return false;
    seen.add(e);
    const x = e as { apiId?: unknown; errors?: unknown; cause?: unknown };
    if (x.apiId === apiId) return true;
    if (Array.isArray(x.errors) && x.errors.some(visit)) return true;
    return visit(x.cause);
  };
  return visit(error);
}

/** A client error as Factum's retriable FACTUM_BROKER_UNAVAILABLE, naming the operation; Factum errors pass through. */
export function translate(cause: unknown, operation: string): Error {
  return translateDriverError('Kafka', cause, operation, describeError);
}

/** An error's message, with the messages of the errors an aggregate holds. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return `${error.message} (${error.errors.map((e) => describeError(e)).join('; ')})`;
  }
  return errorMessage(error);
}
