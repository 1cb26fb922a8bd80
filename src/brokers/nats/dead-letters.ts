import type { StoredMsg } from '@nats-io/jetstream';
import type { StoredEvent } from '../../core/envelope.js';
import type { DeadLetter, DeadLetterReason } from '../../messaging/broker.js';
import { fromNatsMessage, headerRecord } from './wire.js';

/** Headers Factum adds to a dead-lettered message, beside the original ones. */
export const DeadLetterHeaders = {
  reason: 'Factum-Reason',
  error: 'Factum-Error',
  attempts: 'Factum-Attempts',
  group: 'Factum-Group',
  at: 'Factum-Dead-Lettered-At',
  subject: 'Factum-Subject',
} as const;

const REASONS: readonly DeadLetterReason[] = ['handler-failed', 'invalid-message', 'delivery-limit'];

export function toNatsDeadLetter(group: string, stored: StoredMsg): DeadLetter {
  const headers = headerRecord(stored.header);
  const stated = headers[DeadLetterHeaders.reason] as DeadLetterReason | undefined;
  let event: StoredEvent | undefined;
  try {
    event = fromNatsMessage(stored.header, stored.data);
  } catch {
    event = undefined;
  }
  const at = headers[DeadLetterHeaders.at];
  const letter: DeadLetter = {
    group,
    reason: stated !== undefined && REASONS.includes(stated) ? stated : 'delivery-limit',
    error: headers[DeadLetterHeaders.error] ?? 'unknown',
    attempts: Number(headers[DeadLetterHeaders.attempts] ?? 0),
    deadLetteredAt: at === undefined ? stored.time : new Date(at),
    headers,
    body: Buffer.from(stored.data).toString('utf8'),
  };
  if (event !== undefined) letter.event = event;
  return letter;
}
