import { ErrorCodes, ValidationError } from '../../core/errors.js';
import type { PreparedAppend } from '../../core/validation.js';
import { MAX_EVENTS_PER_TRANSACTION } from './position.js';

/**
 * Enforces the per-append event limit that the position encoding implies. (What text columns cannot
 * hold exactly — NUL, unpaired surrogates in stream ids and types — is refused for every store by
 * prepareAppend; data and metadata are stored as json, which keeps any JSON text exactly.)
 */
export function checkPostgresLimits(append: PreparedAppend): void {
  if (append.events.length > MAX_EVENTS_PER_TRANSACTION) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'events',
      `append(${append.streamId}) has ${append.events.length} events; PostgreSQL stores at most ${MAX_EVENTS_PER_TRANSACTION} per append`,
    );
  }
}
