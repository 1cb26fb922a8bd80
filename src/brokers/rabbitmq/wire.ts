import type { ConsumeMessage, Options } from 'amqplib';
import type { StoredEvent } from '../../core/envelope.js';
import { InvalidMessageError } from '../../core/errors.js';
import { CONTENT_TYPE, decodeEvent, headerNames, writeEvent } from '../shared/cloudevents.js';
import { routingKeyOf } from '../shared/naming.js';

/** The CloudEvents AMQP binding's prefix for attributes in application properties (0-9-1: headers). */
export const CE_PREFIX = 'cloudEvents_';

export interface AmqpOutgoing {
  routingKey: string;
  content: Buffer;
  properties: Options.Publish;
}

const headerName = headerNames((attribute) => `${CE_PREFIX}${attribute}`);

/** A stored event as a persistent AMQP message in CloudEvents binary content mode. */
export function toAmqpMessage(event: StoredEvent, source: string): AmqpOutgoing {
  const headers: Record<string, string> = {};
  const content = writeEvent(event, source, (name, value) => {
    headers[headerName(name)] = value;
  });
  return {
    routingKey: routingKeyOf(event.category, event.type),
    content,
    properties: {
      persistent: true,
      contentType: CONTENT_TYPE,
      messageId: event.id,
      type: event.type,
      timestamp: Math.floor(event.timestamp.getTime() / 1000),
      headers,
    },
  };
}

/** Header values as text (AMQP tables may carry strings, buffers or numbers). */
export function headersOf(message: Pick<ConsumeMessage, 'properties'>): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') out[key] = value;
    else if (Buffer.isBuffer(value)) out[key] = value.toString('utf8');
    else if (typeof value === 'object') out[key] = JSON.stringify(value);
    else out[key] = String(value);
  }
  return out;
}

/** The stored event carried by a received message; InvalidMessageError when it is not a Factum envelope. */
export function fromAmqpMessage(message: Pick<ConsumeMessage, 'properties' | 'content'>): StoredEvent {
  const headers = headersOf(message);
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith(CE_PREFIX)) attributes[key.slice(CE_PREFIX.length)] = value;
    else if (key.startsWith('cloudEvents:')) attributes[key.slice('cloudEvents:'.length)] = value;
  }
  if (Object.keys(attributes).length === 0) {
    throw new InvalidMessageError('no CloudEvents attributes (cloudEvents_*) in the message headers');
  }
  return decodeEvent(attributes, message.content, message.properties.contentType ?? undefined);
}

/** How many times RabbitMQ delivered the message before (quorum queues count returns in x-delivery-count). */
export function previousDeliveries(message: ConsumeMessage): number {
  const raw = (message.properties.headers as Record<string, unknown> | undefined)?.['x-delivery-count'];
  const n = typeof raw === 'number' ? raw : Number(raw ?? 0);
  if (Number.isSafeInteger(n) && n > 0) return n;
  return message.fields.redelivered ? 1 : 0;
}
