import { ErrorCodes, ValidationError } from '../../core/errors.js';
import type { PreparedAppend } from '../../core/validation.js';
import { MAX_EVENTS_PER_TRANSACTION } from './position.js';

/** In a `u` regex, \p{Cs} matches only surrogates that are not part of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What PostgreSQL's text columns cannot hold faithfully, refused before the database sees it: an
 * unpaired UTF-16 surrogate in a stream id or type would silently become U+FFFD on the way in. Also
 * enforces the per-append event limit that the position encoding implies. (data and metadata are
 * stored as json, which keeps any JSON text exactly, \u0000 and unpaired surrogates included.)
 */
export function checkPostgresLimits(append: PreparedAppend): void {
  if (append.events.length > MAX_EVENTS_PER_TRANSACTION) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'events',
      `append(${append.streamId}) has ${append.events.length} events; PostgreSQL stores at most ${MAX_EVENTS_PER_TRANSACTION} per append`,
    );
  }
  if (LONE_SURROGATE.test(append.streamId)) {
    throw new ValidationError(
      ErrorCodes.INVALID_STREAM_ID,
      'streamId',
      `Invalid stream id: it contains an unpaired UTF-16 surrogate, which PostgreSQL text cannot store (starts with '${append.streamId.slice(0, 40)}')`,
    );
  }
  for (let i = 0; i < append.events.length; i++) {
    const event = append.events[i]!;
    if (LONE_SURROGATE.test(event.type)) {
      throw new ValidationError(
        ErrorCodes.INVALID_EVENT,
        `events[${i}].type`,
        `Invalid event ${i} for stream ${append.streamId}: type contains an unpaired UTF-16 surrogate, which PostgreSQL text cannot store`,
      );
    }
  }
}
