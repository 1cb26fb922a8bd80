import { ErrorCodes, ValidationError } from '../../core/errors.js';

/**
 * A PostgreSQL position packs the appending transaction's id (xid8) and the event's sequence within
 * that transaction into one bigint: position = transactionId * 2^16 + sequence, sequence 1..65,535.
 * Sorting by position is sorting by (transaction id, sequence), which is what makes the log gap-free:
 * readers only read below the oldest transaction still running (see docs/postgres.md).
 */
export const SEQUENCE_BITS = 16;
/** The most events one transaction (one append) may write. */
export const MAX_EVENTS_PER_TRANSACTION = 2 ** SEQUENCE_BITS - 1;
/** The largest transaction id a position can hold: 2^47 - 1 (bigint is signed 64-bit). */
export const MAX_TRANSACTION_ID = 2n ** BigInt(63 - SEQUENCE_BITS) - 1n;

const MULTIPLIER = 2n ** BigInt(SEQUENCE_BITS);

/** The position of the `sequence`-th event (1-based) written by transaction `transactionId`. */
export function encodePosition(transactionId: bigint, sequence: number): bigint {
  if (transactionId < 1n || transactionId > MAX_TRANSACTION_ID) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'transactionId',
      `transactionId must be between 1 and ${MAX_TRANSACTION_ID}, got ${transactionId}`,
    );
  }
  if (!Number.isSafeInteger(sequence) || sequence < 1 || sequence > MAX_EVENTS_PER_TRANSACTION) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'sequence',
      `sequence must be an integer between 1 and ${MAX_EVENTS_PER_TRANSACTION}, got ${sequence}`,
    );
  }
  return transactionId * MULTIPLIER + BigInt(sequence);
}

/** Which transaction wrote the event at `position`, and its sequence within that transaction. */
export function decodePosition(position: bigint): { transactionId: bigint; sequence: number } {
  if (typeof position !== 'bigint' || position < 0n) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'position',
      `position must be a non-negative bigint, got ${String(position)}`,
    );
  }
  return { transactionId: position / MULTIPLIER, sequence: Number(position % MULTIPLIER) };
}
