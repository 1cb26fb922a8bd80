import { ErrorCodes, ValidationError } from '../../core/errors.js';
import type { PreparedAppend } from '../../core/validation.js';
import { MAX_EVENTS_PER_TRANSACTION } from './position.js';

/** In a `u` regex, \p{Cs} matches only surrogates that are not part of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What jsonb cannot hold, refused before the database sees it: PostgreSQL rejects the escape
 * \u0000 (U+0000 in a string) and unpaired UTF-16 surrogates (which JSON.stringify escapes as
 * \udXXX). Without this the append would fail with a raw driver error; with it, the caller gets a
 * ValidationError naming the event and field. Also enforces the per-append event limit that the
 * position encoding implies.
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
      throw refuse(append.streamId, i, 'type', event.type, 'contains an unpaired UTF-16 surrogate');
    }
    checkJson(append.streamId, i, 'data', event.type, event.data);
    checkJson(append.streamId, i, 'metadata', event.type, event.metadata);
  }
}

function checkJson(streamId: string, index: number, field: string, type: string, json: string): void {
  let from = json.indexOf('\\u');
  while (from !== -1) {
    // An escape starts at a backslash preceded by an even number of backslashes.
    let backslashes = 0;
    for (let k = from - 1; k >= 0 && json.charCodeAt(k) === 92; k--) backslashes++;
    if (backslashes % 2 === 0) {
      const hex = json.slice(from + 2, from + 6).toLowerCase();
      if (hex === '0000') {
        throw refuse(
          streamId,
          index,
          field,
          type,
          'a string contains U+0000 (NUL), which jsonb cannot store',
        );
      }
      if (hex >= 'd800' && hex <= 'dfff') {
        throw refuse(streamId, index, field, type, `a string contains an unpaired surrogate \\u${hex}`);
      }
    }
    from = json.indexOf('\\u', from + 2);
  }
}

function refuse(streamId: string, index: number, field: string, type: string, detail: string) {
  return new ValidationError(
    ErrorCodes.INVALID_EVENT,
    `events[${index}].${field}`,
    `Invalid event ${index} for stream ${streamId}: ${field === 'type' ? 'type' : `${type}: ${field}`} ${detail}`,
  );
}
