import type { GetMessage } from 'amqplib';
import type { StoredEvent } from '../../core/envelope.js';
import type { DeadLetter, DeadLetterReason } from '../../messaging/broker.js';
import { fromAmqpMessage, headersOf } from './wire.js';

/** Headers Factum adds to a dead-lettered message, beside the original ones. */
export const DeadLetterHeaders = {
  reason: 'x-factum-reason',
  error: 'x-factum-error',
  attempts: 'x-factum-attempts',
  group: 'x-factum-group',
  at: 'x-factum-dead-lettered-at',
  routingKey: 'x-factum-routing-key',
} as const;

const REASONS: readonly DeadLetterReason[] = ['handler-failed', 'invalid-message', 'delivery-limit'];

/** A message read from a dead-letter queue. RabbitMQ's own dead-lettering (x-death) counts as 'delivery-limit'. */
export function toDeadLetter(group: string, message: GetMessage): DeadLetter {
  const headers = headersOf(message);
  const stated = headers[DeadLetterHeaders.reason] as DeadLetterReason | undefined;
  const reason: DeadLetterReason =
    stated !== undefined && REASONS.includes(stated) ? stated : 'delivery-limit';
  let event: StoredEvent | undefined;
  try {
    event = fromAmqpMessage(message);
  } catch {
    event = undefined;
  }
  const at = headers[DeadLetterHeaders.at];
  const letter: DeadLetter = {
    group,
    reason,
    error:
      headers[DeadLetterHeaders.error] ??
      `dead-lettered by RabbitMQ: ${headers['x-death'] ?? 'unknown reason'}`,
    attempts: Number(headers[DeadLetterHeaders.attempts] ?? headers['x-delivery-count'] ?? 0),
    deadLetteredAt: at === undefined ? new Date() : new Date(at),
    headers,
    body: message.content.toString('utf8'),
  };
  if (event !== undefined) letter.event = event;
  return letter;
}
