import type { GetMessage } from 'amqplib';
import type { BrokerDeadLetter } from '../../messaging/broker.js';
import { decodeDeadLetter } from '../shared/dead-letters.js';
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

/**
 * A message read from a dead-letter queue. RabbitMQ's own dead-lettering (x-death) counts as
 * 'delivery-limit'; AMQP 0-9-1 does not say when a queue took a message, so one without Factum's
 * headers is dated now.
 */
export function toDeadLetter(group: string, message: GetMessage): BrokerDeadLetter {
  const headers = headersOf(message);
  return decodeDeadLetter(group, DeadLetterHeaders, {
    headers,
    body: message.content,
    decode: () => fromAmqpMessage(message),
    storedAt: new Date(),
    fallback: {
      error: `dead-lettered by RabbitMQ: ${headers['x-death'] ?? 'unknown reason'}`,
      attempts: headers['x-delivery-count'],
    },
  });
}
