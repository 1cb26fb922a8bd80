/**
 * Dead letters as every adapter keeps them: the original message (headers and body as they were) plus
 * Factum's headers saying why, after how many attempts, for which group and when. Each adapter names
 * those headers in its broker's style and reads its messages' headers as text; the rest is here.
 */
import type { StoredEvent } from '../../core/envelope.js';
import type { BrokerDeadLetter } from '../../messaging/broker.js';
import { isDeadLetterReason } from '../../messaging/broker.js';
import type { DeadLetterOutcome } from './delivery.js';

/** The headers Factum adds to every dead-lettered message, named in one broker's style. */
export interface DeadLetterHeaderNames {
  readonly reason: string;
  readonly error: string;
  readonly attempts: string;
  readonly group: string;
  readonly at: string;
}

/** The longest error text a dead letter's header keeps. */
export const MAX_ERROR_LENGTH = 8000;

/**
 * Factum's dead-letter headers as text, in this order: reason, the error on one line (at most
 * MAX_ERROR_LENGTH characters), attempts, group, and the time as ISO 8601.
 */
export function deadLetterStamp(
  names: DeadLetterHeaderNames,
  group: string,
  outcome: DeadLetterOutcome,
): [string, string][] {
  return [
    [names.reason, outcome.reason],
    [names.error, outcome.error.replace(/[\r\n]+/g, ' ').slice(0, MAX_ERROR_LENGTH)],
    [names.attempts, String(outcome.attempts)],
    [names.group, group],
    [names.at, new Date().toISOString()],
  ];
}

/** A message read from a dead-letter destination, as its adapter sees it. */
export interface DeadLetteredMessage {
  /** Every header of the message as text; the record keeps them as they are. */
  headers: Record<string, string>;
  /** The body as stored (undefined: a record without a value). */
  body: Uint8Array | undefined;
  /** The event in the message; throws when it is not a Factum envelope (the record then has none). */
  decode: () => StoredEvent;
  /** The time of a message without Factum's dead-lettered-at header. */
  storedAt: Date;
  /** Error and attempts of a message the broker dead-lettered itself, without Factum's headers. */
  fallback?: { error?: string | undefined; attempts?: string | undefined };
}

/**
 * The contract's dead-letter record of a message. A missing or unknown reason counts as
 * 'delivery-limit', a missing error as the fallback's (else 'unknown'), missing attempts as the
 * fallback's (else 0).
 */
export function decodeDeadLetter(
  group: string,
  names: DeadLetterHeaderNames,
  message: DeadLetteredMessage,
): BrokerDeadLetter {
  const { headers, body } = message;
  const stated = headers[names.reason];
  let event: StoredEvent | undefined;
  try {
    event = message.decode();
  } catch {
    event = undefined;
  }
  const at = headers[names.at];
  const letter: BrokerDeadLetter = {
    group,
    reason: isDeadLetterReason(stated) ? stated : 'delivery-limit',
    error: headers[names.error] ?? message.fallback?.error ?? 'unknown',
    attempts: Number(headers[names.attempts] ?? message.fallback?.attempts ?? 0),
    deadLetteredAt: at === undefined ? message.storedAt : new Date(at),
    headers,
    body:
      body === undefined ? '' : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
  };
  if (event !== undefined) letter.event = event;
  return letter;
}
