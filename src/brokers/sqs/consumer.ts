import type { Message } from '@aws-sdk/client-sqs';
import { backoffDelay, sleep } from '../../core/retry.js';
import type { Consumer, MessageHandler } from '../../messaging/broker.js';
import {
  type DeadLetterOutcome,
  type Outcome,
  type ResolvedConsumeOptions,
  runDelivery,
} from '../shared/delivery.js';
import { errorMessage } from '../shared/errors.js';
import { deadLetterAttributes } from './dead-letters.js';
import type { SqsConsumerHost } from './host.js';
import { attributesOf, fromSqsMessage } from './wire.js';

export interface SqsConsumerSettings {
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Seconds a received message stays invisible to other consumers; extended while it is held. */
  visibilityTimeoutSeconds: number;
  /** Long polling: how long one ReceiveMessage waits for messages (0–20 s). */
  waitTimeSeconds: number;
}

interface Held {
  message: Message;
  receipt: string;
  /** A message group (FIFO) or stream: messages of one lane are handled one at a time, in order. */
  lane: string;
}

const SYSTEM_ATTRIBUTES = ['ApproximateReceiveCount', 'MessageGroupId', 'SentTimestamp'] as const;

/**
 * One consumer of a group's queue: a long-polling receive loop that holds at most `prefetch` messages,
 * handles them in lanes (one per FIFO message group or stream, lanes side by side, in arrival order
 * within a lane), keeps the held messages invisible with ChangeMessageVisibility while they wait or
 * run, and deletes a message only after its handler succeeded. On stop, the messages not handled are
 * made visible again at once.
 */
export class SqsConsumer implements Consumer {
  readonly group: string;
  readonly #host: SqsConsumerHost;
  readonly #settings: SqsConsumerSettings;
  /** The queue's name (the last segment of its URL), for tracing. */
  readonly #queue: string;
  readonly #options: ResolvedConsumeOptions;
  readonly #handler: MessageHandler;
  readonly #abort = new AbortController();
  readonly #held = new Map<string, Held>();
  readonly #lanes = new Map<string, Promise<void>>();
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    host: SqsConsumerHost,
    group: string,
    settings: SqsConsumerSettings,
    options: ResolvedConsumeOptions,
    handler: MessageHandler,
  ) {
    this.#host = host;
    this.group = group;
    this.#settings = settings;
    this.#queue = settings.queueUrl.slice(settings.queueUrl.lastIndexOf('/') + 1);
    this.#options = options;
    this.#handler = handler;
  }

  start(): void {
    this.#loop = this.#receiveLoop();
    const every = Math.max(200, (this.#settings.visibilityTimeoutSeconds * 1000) / 3);
    this.#heartbeat = setInterval(() => void this.#extend(), every);
    this.#heartbeat.unref();
  }

  async #receiveLoop(): Promise<void> {
    const { sqsLib, sqs, emitter } = this.#host;
    let failures = 0;
    while (!this.#stopped) {
      const room = this.#options.prefetch - this.#held.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      let messages: Message[];
      try {
        const out = await sqs.send(
          new sqsLib.ReceiveMessageCommand({
            QueueUrl: this.#settings.queueUrl,
            MaxNumberOfMessages: Math.min(10, room),
            WaitTimeSeconds: this.#settings.waitTimeSeconds,
            VisibilityTimeout: this.#settings.visibilityTimeoutSeconds,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
          }),
          { abortSignal: this.#abort.signal },
        );
        messages = out.Messages ?? [];
        if (failures > 0) emitter.emit('broker.reconnected', { attempts: failures });
        failures = 0;
      } catch (error) {
        if (this.#stopped) break;
        if (failures === 0) {
          emitter.emit('broker.disconnected', {
            error: error instanceof Error ? error : new Error(errorMessage(error)),
          });
        }
        failures++;
        const delay = backoffDelay(failures, { initialDelayMs: 100, maxDelayMs: 5000, factor: 2 });
        await sleep(delay, this.#abort.signal).catch(() => {});
        continue;
      }
      for (const message of messages) this.#accept(message);
    }
  }

  #accept(message: Message): void {
    const receipt = message.ReceiptHandle;
    if (receipt === undefined) return;
    const lane =
      message.Attributes?.MessageGroupId ??
      message.MessageAttributes?.['ce-subject']?.StringValue ??
      message.MessageId ??
      receipt;
    const held: Held = { message, receipt, lane };
    this.#held.set(receipt, held);
    const previous = this.#lanes.get(lane) ?? Promise.resolve();
    const next = previous.then(() => this.#process(held));
    this.#lanes.set(lane, next);
    void next.finally(() => {
      if (this.#lanes.get(lane) === next) this.#lanes.delete(lane);
    });
  }

  async #process(held: Held): Promise<void> {
    if (this.#stopped) return;
    const { message } = held;
    const outcome = await runDelivery(
      {
        decode: () => fromSqsMessage(message.Body, attributesOf(message.MessageAttributes)),
        deliveryCount: Math.max(1, Number(message.Attributes?.ApproximateReceiveCount ?? 1) || 1),
        destination: this.#queue,
      },
      this.#options,
      this.#handler,
      this.#abort.signal,
      this.#host.emitter,
    );
    await this.#settle(held, outcome);
  }

  async #settle(held: Held, outcome: Outcome): Promise<void> {
    if (outcome.kind === 'abandon') return;
    const { sqsLib, sqs, emitter } = this.#host;
    try {
      if (outcome.kind === 'dead-letter') {
        emitter.emit('consumer.dead-lettered', {
          group: this.group,
          eventId: outcome.event?.id ?? held.message.MessageId,
          reason: outcome.reason,
          error: outcome.error,
        });
        try {
          await this.#sendDeadLetter(held.message, outcome);
        } catch {
          // Not stored: leave the message; it comes back after its visibility timeout (and SQS's own
          // redrive moves it once it was received maxReceiveCount times).
          this.#release(held);
          return;
        }
      }
      await sqs
        .send(
          new sqsLib.DeleteMessageCommand({ QueueUrl: this.#settings.queueUrl, ReceiptHandle: held.receipt }),
        )
        .catch(() => {
          // An expired receipt handle: the message comes again and consumers deduplicate.
        });
      this.#release(held);
    } catch {
      this.#release(held);
    }
  }

  #release(held: Held): void {
    this.#held.delete(held.receipt);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #sendDeadLetter(message: Message, outcome: DeadLetterOutcome): Promise<void> {
    const { sqsLib, sqs, fifo, maxMessageBytes } = this.#host;
    await sqs.send(
      new sqsLib.SendMessageCommand({
        QueueUrl: this.#settings.deadLetterQueueUrl,
        MessageBody: message.Body ?? '',
        MessageAttributes: deadLetterAttributes(message, this.group, outcome, maxMessageBytes),
        ...(fifo
          ? {
              MessageGroupId: message.Attributes?.MessageGroupId ?? 'factum',
              MessageDeduplicationId: message.MessageId,
            }
          : {}),
      }),
    );
  }

  /** Keeps every held message invisible for another visibility timeout. */
  async #extend(): Promise<void> {
    await this.#changeVisibility([...this.#held.values()], this.#settings.visibilityTimeoutSeconds);
  }

  async #changeVisibility(messages: Held[], seconds: number): Promise<void> {
    const { sqsLib, sqs } = this.#host;
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      await sqs
        .send(
          new sqsLib.ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.#settings.queueUrl,
            Entries: chunk.map((h, j) => ({
              Id: `m${j}`,
              ReceiptHandle: h.receipt,
              VisibilityTimeout: seconds,
            })),
          }),
        )
        .catch(() => {
          // A message whose receipt expired comes again; nothing else to do.
        });
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    clearInterval(this.#heartbeat);
    this.#wake?.();
    this.#host.forget(this);
    await this.#loop;
    await Promise.all([...this.#lanes.values()]);
    // The messages held but not handled (or abandoned mid-retry) go back to the queue at once.
    const left = [...this.#held.values()];
    this.#held.clear();
    await this.#changeVisibility(left, 0);
  }
}
