import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Consumer, MessageHandler } from '../../messaging/broker.js';
import { deadLetterStamp } from '../shared/dead-letters.js';
import { type Outcome, type ResolvedConsumeOptions, runDelivery } from '../shared/delivery.js';
import { DeadLetterHeaders } from './dead-letters.js';
import type { NatsHost } from './host.js';
import { fromNatsMessage } from './wire.js';

/**
 * One client of a durable pull consumer: pulls up to `prefetch` messages, handles them one at a time in
 * stream order, acknowledges each explicitly after the handler succeeded. Retries extend the ack
 * deadline (`working()`); a message that keeps failing is published to `<prefix>_dlq.<group>` with the
 * error in its headers, then acknowledged.
 */
export class NatsConsumer implements Consumer {
  readonly group: string;
  readonly #host: NatsHost;
  readonly #options: ResolvedConsumeOptions;
  readonly #handler: MessageHandler;
  readonly #abort = new AbortController();
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;

  constructor(host: NatsHost, options: ResolvedConsumeOptions, handler: MessageHandler) {
    this.#host = host;
    this.group = options.group;
    this.#options = options;
    this.#handler = handler;
  }

  async start(): Promise<void> {
    const consumer = await this.#host.js.consumers.get(this.#host.stream, this.group);
    this.#messages = await consumer.consume({ max_messages: this.#options.prefetch });
    const messages = this.#messages;
    this.#loop = (async () => {
      for await (const message of messages) {
        if (this.#stopped) break;
        await this.#process(message);
      }
    })().catch(() => {});
  }

  async #process(message: JsMsg): Promise<void> {
    const outcome = await runDelivery(
      {
        decode: () => fromNatsMessage(message.headers, message.data),
        deliveryCount: message.info.deliveryCount,
        keepAlive: () => message.working(),
        destination: message.subject,
      },
      this.#options,
      this.#handler,
      this.#abort.signal,
      this.#host.emitter,
    );
    await this.#settle(message, outcome);
  }

  async #settle(message: JsMsg, outcome: Outcome): Promise<void> {
    if (outcome.kind === 'abandon') {
      message.nak();
      return;
    }
    if (outcome.kind === 'dead-letter') {
      this.#host.emitter.emit('consumer.dead-lettered', {
        group: this.group,
        eventId: outcome.event?.id ?? message.headers?.get('ce-id'),
        reason: outcome.reason,
        error: outcome.error,
      });
      const headers = this.#host.transport.headers();
      if (message.headers !== undefined) {
        for (const [key, values] of message.headers) {
          // Nats-Msg-Id would make the dead-letter stream drop the same event dead-lettered by another group.
          if (key.toLowerCase().startsWith('nats-')) continue;
          for (const v of values) headers.append(key, v);
        }
      }
      for (const [name, value] of deadLetterStamp(DeadLetterHeaders, this.group, outcome))
        headers.set(name, value);
      headers.set(DeadLetterHeaders.subject, message.subject);
      try {
        await this.#host.js.publish(this.#host.deadLetterSubject(this.group), message.data, { headers });
      } catch {
        // Not stored: leave the message unacknowledged; it comes back and is dead-lettered again.
        message.nak(1000);
        return;
      }
    }
    message.ack();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    this.#host.forget(this);
    await this.#messages?.close().catch(() => {});
    await this.#loop;
  }
}
