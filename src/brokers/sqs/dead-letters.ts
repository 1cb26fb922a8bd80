import type { Message } from '@aws-sdk/client-sqs';
import type { BrokerDeadLetter } from '../../messaging/broker.js';
import { deadLetterStamp, decodeDeadLetter } from '../shared/dead-letters.js';
import type { DeadLetterOutcome } from '../shared/delivery.js';
import { type Attributes, attributesOf, fromSqsMessage, MAX_ATTRIBUTES, messageBytes } from './wire.js';

/**
 * Factum's dead-letter fields, as the record's headers name them. On the wire they travel as one JSON
 * message attribute, `factum-dead-letter` (SQS carries only 10 attributes per message).
 */
export const DeadLetterHeaders = {
  reason: 'factum-reason',
  error: 'factum-error',
  attempts: 'factum-attempts',
  group: 'factum-group',
  at: 'factum-dead-lettered-at',
} as const;

export const DEAD_LETTER_ATTRIBUTE = 'factum-dead-letter';

/**
 * The attributes of the dead-letter copy of a message: its own attributes (as many as fit beside the
 * stamp) and the stamp, with the error shortened when the copy would outgrow the size limit.
 */
export function deadLetterAttributes(
  message: Message,
  group: string,
  outcome: DeadLetterOutcome,
  maxBytes: number,
): Attributes {
  const attributes: Attributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (Object.keys(attributes).length >= MAX_ATTRIBUTES - 1) break;
    if (value.StringValue !== undefined && value.DataType !== undefined) {
      attributes[name] = { DataType: 'String', StringValue: value.StringValue };
    }
  }
  const stamp = Object.fromEntries(deadLetterStamp(DeadLetterHeaders, group, outcome));
  const body = message.Body ?? '';
  const room = maxBytes - messageBytes(body, attributes) - DEAD_LETTER_ATTRIBUTE.length - 'String'.length;
  let value = JSON.stringify(stamp);
  while (Buffer.byteLength(value, 'utf8') > room && stamp[DeadLetterHeaders.error]!.length > 0) {
    const error = stamp[DeadLetterHeaders.error]!;
    stamp[DeadLetterHeaders.error] = error.slice(0, Math.floor(error.length / 2));
    value = JSON.stringify(stamp);
  }
  attributes[DEAD_LETTER_ATTRIBUTE] = { DataType: 'String', StringValue: value };
  return attributes;
}

/**
 * A message read from a dead-letter queue. One that SQS moved there itself (its redrive policy: received
 * `maxReceiveCount` times without being deleted) has no stamp and counts as 'delivery-limit'.
 */
export function toDeadLetter(group: string, message: Message): BrokerDeadLetter {
  const headers = attributesOf(message.MessageAttributes);
  const stamp = headers[DEAD_LETTER_ATTRIBUTE];
  if (stamp !== undefined) {
    delete headers[DEAD_LETTER_ATTRIBUTE];
    try {
      const fields = JSON.parse(stamp) as Record<string, unknown>;
      for (const [name, value] of Object.entries(fields)) headers[name] = String(value);
    } catch {
      // An unreadable stamp: the record falls back to SQS's own attributes.
    }
  }
  const sent = Number(message.Attributes?.SentTimestamp);
  const received = message.Attributes?.ApproximateReceiveCount;
  return decodeDeadLetter(group, DeadLetterHeaders, {
    headers,
    body: message.Body === undefined ? undefined : Buffer.from(message.Body, 'utf8'),
    decode: () => fromSqsMessage(message.Body, attributesOf(message.MessageAttributes)),
    storedAt: Number.isFinite(sent) ? new Date(sent) : new Date(),
    fallback: {
      error: `moved by the queue's redrive policy after ${received ?? 'too many'} receives without a delete`,
      attempts: received === undefined ? undefined : String(Math.max(0, Number(received) - 1)),
    },
  });
}
