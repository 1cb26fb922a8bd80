import type { Broker, ConsumeOptions, Consumer, DeliveryContext } from '../brokers/broker.js';
import type { StoredEvent } from '../core/envelope.js';
import type { Inbox } from './storage.js';

export interface InboxConsumeOptions<Tx> extends ConsumeOptions {
  /** Records (consumer, event id) in the same transaction as the handler's effects. */
  inbox: Inbox<Tx>;
  /** The name the inbox records (default: the group). */
  consumer?: string;
  /** Called for each duplicate delivery that was acknowledged and skipped. */
  onDuplicate?: (event: StoredEvent) => void;
}

export type InboxHandler<Tx> = (event: StoredEvent, tx: Tx, context: DeliveryContext) => Promise<void> | void;

/**
 * Consumes a group with an idempotent handler: each event's effects and its inbox record commit in one
 * transaction, so a redelivered event (at-least-once) is acknowledged and skipped instead of applied
 * twice. A handler failure rolls both back; the broker's retries and dead-lettering apply as usual.
 */
export function consume<Tx>(
  broker: Broker,
  handler: InboxHandler<Tx>,
  options: InboxConsumeOptions<Tx>,
): Promise<Consumer> {
  const { inbox, consumer, onDuplicate, ...consumeOptions } = options;
  const name = consumer ?? options.group;
  return broker.consume(consumeOptions, async (event, context) => {
    const result = await inbox.process(name, event, (tx) => handler(event, tx, context));
    if (result === 'duplicate') onDuplicate?.(event);
  });
}
