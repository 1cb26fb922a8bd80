import { ConcurrencyError, ErrorCodes, type FactumErrorOptions, ValidationError } from './errors.js';
import { formatValue } from './format.js';

/**
 * What the caller believes the stream's version is before the append.
 * A number is an exact version (0 means the stream does not exist yet, same as 'no_stream').
 */
export type ExpectedVersion = number | 'any' | 'no_stream' | 'stream_exists';

export function assertExpectedVersion(value: unknown): asserts value is ExpectedVersion | undefined {
  if (value === undefined || value === 'any' || value === 'no_stream' || value === 'stream_exists') return;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return;
  throw new ValidationError(
    ErrorCodes.INVALID_EXPECTED_VERSION,
    'expectedVersion',
    `Invalid expected version: ${formatValue(value)} (use a non-negative integer, 'any', 'no_stream' or 'stream_exists')`,
  );
}

/** Whether a stream currently at `actual` (0 = absent) satisfies `expected`. */
export function matchesExpectedVersion(expected: ExpectedVersion | undefined, actual: number): boolean {
  switch (expected) {
    case undefined:
    case 'any':
      return true;
    case 'no_stream':
      return actual === 0;
    case 'stream_exists':
      return actual > 0;
    default:
      return actual === expected;
  }
}

/**
 * The error of an append refused by its expected version, echoing its inputs: the stream, the
 * expected version as the caller gave it ('any' when none was given) and the stream's version then.
 */
export function concurrencyError(
  streamId: string,
  expected: ExpectedVersion | undefined,
  actual: number,
  options?: FactumErrorOptions,
): ConcurrencyError {
  return new ConcurrencyError(streamId, expected ?? 'any', actual, options);
}

/** Throws concurrencyError(…) unless the stream at `actual` satisfies `expected`. */
export function checkExpectedVersion(
  streamId: string,
  expected: ExpectedVersion | undefined,
  actual: number,
  options?: FactumErrorOptions,
): void {
  if (!matchesExpectedVersion(expected, actual)) {
    throw concurrencyError(streamId, expected, actual, options);
  }
}
