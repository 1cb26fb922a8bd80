import { BrokerUnavailableError, isFactumError } from '../../core/errors.js';

/** An error's message; any other thrown value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A driver error as Factum's retriable FACTUM_BROKER_UNAVAILABLE, `<broker> could not <operation>:
 * <what the driver said>`, with the driver error as cause. Factum errors pass through unchanged.
 */
export function translateDriverError(
  broker: string,
  cause: unknown,
  operation: string,
  describe: (error: unknown) => string = errorMessage,
): Error {
  if (isFactumError(cause)) return cause as Error;
  return new BrokerUnavailableError(`${broker} could not ${operation}: ${describe(cause)}`, { cause });
}
