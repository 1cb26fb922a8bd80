import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { retry } from '../../core/retry.js';
import type { Consumer, GroupOptions, MessageHandler } from '../../messaging/broker.js';
import { MAX_ERROR_LENGTH } from '../shared/dead-letters.js';
import {
  type DeadLetterOutcome,
  type Outcome,
  type ResolvedConsumeOptions,
  runDelivery,
} from '../shared/delivery.js';
import { DeadLetterHeaders } from './dead-letters.js';
import type { RabbitMqConnectionHost } from './host.js';
import { fromAmqpMessage, previousDeliveries } from './wire.js';

interface Delivered {
  message: ConsumeMessage;
  channel: ConfirmChannel;
}

/**
 * One consumer of a group's quorum queue on its own confirm channel, with a prefetch limit and manual
 * acks. Messages are handled one at a time in arrival order. When the channel or connection is lost
 * the unacknowledged messages go back to the queue and the consumer re-attaches once the broker has
 * reconnected.
 */
export class RabbitMqConsumer implements Consumer {
  readonly group: string;
  readonly #host: RabbitMqConnectionHost;
  readonly #groupOptions: GroupOptions;
  readonly #options: ResolvedConsumeOptions;
  readonly #handler: MessageHandler;
  readonly #abort = new AbortController();
  #channel: ConfirmChannel | undefined;
  #tag: string | undefined;
  #buffer: Delivered[] = [];
  #pumping: Promise<void> | undefined;
  #stopped = false;

  constructor(
    host: RabbitMqConnectionHost,
    groupOptions: GroupOptions,
    options: ResolvedConsumeOptions,
    handler: MessageHandler,
  ) {
    this.#host = host;
    this.group = groupOptions.group;
    this.#groupOptions = {
      group: groupOptions.group,
      categories: groupOptions.categories,
      types: groupOptions.types,
    };
    this.#options = options;
    this.#handler = handler;
  }

  async start(): Promise<void> {
    await this.#attach();
  }

  async #attach(): Promise<void> {
    const conn = await this.#host.connection();
    const queue = await this.#host.ensureGroup(this.#groupOptions);
    const channel = await conn.createConfirmChannel();
    channel.on('error', () => {});
    channel.on('close', () => this.#onChannelClosed(channel));
    await channel.prefetch(this.#options.prefetch);
    if (this.#stopped) {
      await channel.close().catch(() => {});
      return;
    }
    this.#channel = channel;
    const reply = await channel.consume(queue, (message) => this.#onMessage(channel, message), {
      noAck: false,
    });
    this.#tag = reply.consumerTag;
  }

  #onChannelClosed(channel: ConfirmChannel): void {
    if (this.#channel !== channel) return;
    this.#channel = undefined;
    this.#tag = undefined;
    this.#buffer = this.#buffer.filter((d) => d.channel !== channel);
    if (this.#stopped || this.#host.closed) return;
    void retry(() => this.#attach(), {
      retries: Number.MAX_SAFE_INTEGER,
      initialDelayMs: 100,
      maxDelayMs: 5000,
      isRetriable: () => !this.#stopped && !this.#host.closed,
      signal: this.#abort.signal,
    }).catch(() => {});
  }

  #onMessage(channel: ConfirmChannel, message: ConsumeMessage | null): void {
    // null: the server cancelled the consumer (queue deleted); the channel stays open and idle.
    if (message === null || this.#stopped) return;
    this.#buffer.push({ message, channel });
    this.#pump();
  }

  #pump(): void {
    if (this.#pumping !== undefined) return;
    this.#pumping = (async () => {
      while (!this.#stopped) {
        const next = this.#buffer.shift();
        if (next === undefined) break;
        await this.#process(next);
      }
    })().finally(() => {
      this.#pumping = undefined;
    });
  }

  async #process({ message, channel }: Delivered): Promise<void> {
    if (channel !== this.#channel) return;
    const outcome = await runDelivery(
      {
        decode: () => fromAmqpMessage(message),
        deliveryCount: previousDeliveries(message) + 1,
        destination: message.fields.exchange,
        routingKey: message.fields.routingKey,
      },
      this.#options,
      this.#handler,
      this.#abort.signal,
      this.#host.emitter,
    );
    await this.#settle(channel, message, outcome);
  }

  async #settle(channel: ConfirmChannel, message: ConsumeMessage, outcome: Outcome): Promise<void> {
    if (outcome.kind === 'abandon') return;
    if (outcome.kind === 'dead-letter') {
      this.#host.emitter.emit('consumer.dead-lettered', {
        group: this.group,
        eventId: outcome.event?.id ?? message.properties.messageId,
        reason: outcome.reason,
        error: outcome.error,
      });
      try {
        await this.#publishDeadLetter(channel, message, outcome);
      } catch {
        // Not confirmed (channel lost): leave it unacknowledged; it comes back and is dead-lettered again.
        return;
      }
    }
    try {
      channel.ack(message);
    } catch {
      // The channel closed: RabbitMQ redelivers the message; consumers deduplicate.
    }
  }

  #publishDeadLetter(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    outcome: DeadLetterOutcome,
  ): Promise<void> {
    const p = message.properties;
    const headers: Record<string, unknown> = {
      ...(p.headers ?? {}),
      [DeadLetterHeaders.reason]: outcome.reason,
      [DeadLetterHeaders.error]: outcome.error.slice(0, MAX_ERROR_LENGTH),
      [DeadLetterHeaders.attempts]: outcome.attempts,
      [DeadLetterHeaders.group]: this.group,
      [DeadLetterHeaders.at]: new Date().toISOString(),
      [DeadLetterHeaders.routingKey]: message.fields.routingKey,
    };
    return new Promise<void>((resolve, reject) => {
      channel.publish(
        this.#host.topology.deadLetterExchange,
        this.group,
        message.content,
        {
          persistent: true,
          headers,
          ...(p.contentType === undefined ? {} : { contentType: p.contentType }),
          ...(p.messageId === undefined ? {} : { messageId: p.messageId }),
          ...(p.type === undefined ? {} : { type: p.type }),
          ...(p.timestamp === undefined ? {} : { timestamp: p.timestamp }),
        },
        (error: unknown) => (error === null || error === undefined ? resolve() : reject(error)),
      );
    });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    this.#host.forget(this);
    const channel = this.#channel;
    const tag = this.#tag;
    if (channel !== undefined && tag !== undefined) await channel.cancel(tag).catch(() => {});
    await this.#pumping;
    this.#channel = undefined;
    // Closing the channel returns every unacknowledged message to the queue.
    if (channel !== undefined) await channel.close().catch(() => {});
  }
}
