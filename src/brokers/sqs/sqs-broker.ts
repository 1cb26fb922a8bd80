import type * as SnsSdk from '@aws-sdk/client-sns';
import type * as SqsSdk from '@aws-sdk/client-sqs';
import { Emitter } from '../../core/emitter.js';
import type { StoredEvent } from '../../core/envelope.js';
import { BrokerClosedError, ErrorCodes, MissingDriverError, ValidationError } from '../../core/errors.js';
import type {
  Broker,
  BrokerCapabilities,
  BrokerDeadLetter,
  BrokerEventListener,
  BrokerEvents,
  ConsumeOptions,
  Consumer,
  ConsumerLag,
  MessageHandler,
  PublishOptions,
} from '../../messaging/broker.js';
import { messagingSystem, resolveConsumeOptions } from '../shared/delivery.js';
import { translateDriverError } from '../shared/errors.js';
import { SqsConsumer } from './consumer.js';
import { toDeadLetter } from './dead-letters.js';
import type { SqsConsumerHost, SqsLib } from './host.js';
import {
  assertGroup,
  assertPrefix,
  deadLetterQueueName,
  messageGroupId,
  type Names,
  queueName,
  topicName,
} from './names.js';
import { type BatchEntry, publishEntries } from './publish.js';
import {
  type Filter,
  type GroupQueues,
  type Route,
  type SnsLib,
  type SqsGroupOptions,
  SqsTopology,
} from './topology.js';
import { DEFAULT_MAX_MESSAGE_BYTES, toSqsMessage } from './wire.js';

export interface SqsBrokerOptions {
  /** The SQS client to use (the adapter does not destroy it). Otherwise one is built from `region`. */
  sqs?: SqsSdk.SQSClient;
  /** The SNS client for fan-out through topics (`fanOut: 'sns'`); otherwise built from `region`. */
  sns?: SnsSdk.SNSClient;
  /** AWS region of the clients the adapter builds. Required unless both clients are given. */
  region?: string;
  /** SQS endpoint of the built client (ElasticMQ, fauxqs, a VPC endpoint); default: the region's. */
  endpoint?: string;
  /** SNS endpoint of the built client; default: the region's. */
  snsEndpoint?: string;
  /** Credentials of the built clients; default: the SDK's provider chain (environment, profile, role). */
  credentials?: SqsSdk.SQSClientConfig['credentials'];
  /**
   * How a published event reaches the groups' queues. 'sns': one SNS topic per category, each group's
   * queue subscribed (raw delivery, a filter policy for its types). 'direct': the publisher sends to
   * every group queue of the prefix whose filter matches (no SNS needed). Default: 'sns' when an SNS
   * client or endpoint is given, else 'direct'.
   */
  fanOut?: 'sns' | 'direct';
  /** Queue and topic names are `<prefix>-<group>`, `<prefix>-<category>` (default 'factum'; no '-'). */
  prefix?: string;
  /**
   * FIFO queues and topics (default true): order per stream (MessageGroupId = streamId) and
   * deduplication by event id within SQS's 5-minute window. false: standard queues, at-least-once,
   * no order.
   */
  fifo?: boolean;
  /** CloudEvents `source` of published events (default '/factum'). */
  source?: string;
  /** Long polling: how long one receive waits for messages (s, 0–20, default 20). */
  waitTimeSeconds?: number;
  /**
   * How long a handler is expected to take (ms, default 5,000). A received message stays invisible
   * for 6 times that (at least 1 s), and the consumer extends it while the message is held.
   */
  expectedHandlerMs?: number;
  /** Sets the visibility timeout directly (s, 1–43,200), instead of deriving it from expectedHandlerMs. */
  visibilityTimeoutSeconds?: number;
  /** The message size limit checked before sending (bytes, default 262,144: SQS's and SNS's 256 KiB). */
  maxMessageBytes?: number;
  /** 'direct' fan-out: how long the publisher keeps its list of group queues (ms, default 2,000). */
  routingRefreshMs?: number;
  /** Lanes of batches sent side by side; a stream always uses the same lane (default 4). */
  publishConcurrency?: number;
  /** Retries of the failed entries of a batch (default 5). */
  publishRetries?: number;
}

/** consume's options on SQS. */
export interface SqsConsumeOptions extends ConsumeOptions {
  /** Overrides the broker's expectedHandlerMs for this consumer. */
  expectedHandlerMs?: number;
  /** Overrides the broker's visibility timeout for this consumer (s). */
  visibilityTimeoutSeconds?: number;
}

/**
 * Builds the SQS (and SNS) adapter. Needs the optional peer dependency @aws-sdk/client-sqs, and
 * @aws-sdk/client-sns for SNS fan-out. Clients are passed in or built from the region (and endpoint)
 * named here: a missing region is an error, never a default picked up from the environment.
 */
export async function createSqsBroker(options: SqsBrokerOptions): Promise<SqsBroker> {
  const fanOut =
    options.fanOut ?? (options.sns !== undefined || options.snsEndpoint !== undefined ? 'sns' : 'direct');
  const needsRegion = options.sqs === undefined || (fanOut === 'sns' && options.sns === undefined);
  if (needsRegion && (typeof options.region !== 'string' || options.region.length === 0)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'region',
      'createSqsBroker needs a region (and an endpoint for a local server) or the SDK clients: Factum does not pick a region from the environment',
    );
  }
  const sqsLib = await loadSdk<SqsLib>('@aws-sdk/client-sqs', () => import('@aws-sdk/client-sqs'));
  const snsLib =
    fanOut === 'sns'
      ? await loadSdk<SnsLib>('@aws-sdk/client-sns', () => import('@aws-sdk/client-sns'))
      : undefined;
  return new SqsBroker(sqsLib, snsLib, { ...options, fanOut });
}

async function loadSdk<T>(name: string, load: () => Promise<unknown>): Promise<T> {
  try {
    return (await load()) as T;
  } catch (cause) {
    throw new MissingDriverError(name, cause);
  }
}

function positive(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      name,
      `${name} must be in ${min}–${max}, got ${value}`,
    );
  }
  return value;
}

export class SqsBroker implements Broker, SqsConsumerHost {
  readonly name = 'sqs';
  readonly capabilities: BrokerCapabilities;
  readonly emitter = new Emitter<BrokerEvents>();
  readonly sqsLib: SqsLib;
  readonly sqs: SqsSdk.SQSClient;
  readonly fifo: boolean;
  readonly maxMessageBytes: number;
  readonly prefix: string;
  readonly fanOut: 'sns' | 'direct';
  readonly #snsLib: SnsLib | undefined;
  readonly #sns: SnsSdk.SNSClient | undefined;
  readonly #owned: { destroy(): void }[] = [];
  readonly #names: Names;
  readonly #topology: SqsTopology;
  readonly #source: string;
  readonly #waitTimeSeconds: number;
  readonly #expectedHandlerMs: number;
  readonly #visibilityTimeoutSeconds: number | undefined;
  readonly #routingRefreshMs: number;
  readonly #publishConcurrency: number;
  readonly #publishRetries: number;
  readonly #groups = new Map<string, GroupQueues>();
  readonly #consumers = new Set<SqsConsumer>();
  #routes: { at: number; routes: Promise<Route[]> } | undefined;
  #closed = false;

  constructor(
    sqsLib: SqsLib,
    snsLib: SnsLib | undefined,
    options: SqsBrokerOptions & { fanOut: 'sns' | 'direct' },
  ) {
    const prefix = options.prefix ?? 'factum';
    assertPrefix(prefix);
    this.prefix = prefix;
    this.fifo = options.fifo ?? true;
    this.fanOut = options.fanOut;
    this.#names = { prefix, fifo: this.fifo };
    this.capabilities = { orderedCompetingConsumers: this.fifo };
    this.#source = options.source ?? '/factum';
    this.#waitTimeSeconds = Math.round(positive('waitTimeSeconds', options.waitTimeSeconds ?? 20, 0, 20));
    this.#expectedHandlerMs = positive('expectedHandlerMs', options.expectedHandlerMs ?? 5000, 1, 7_200_000);
    this.#visibilityTimeoutSeconds =
      options.visibilityTimeoutSeconds === undefined
        ? undefined
        : Math.round(positive('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 1, 43_200));
    this.maxMessageBytes = positive(
      'maxMessageBytes',
      options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      1024,
      1_048_576,
    );
    this.#routingRefreshMs = positive('routingRefreshMs', options.routingRefreshMs ?? 2000, 0, 3_600_000);
    this.#publishConcurrency = Math.round(
      positive('publishConcurrency', options.publishConcurrency ?? 4, 1, 64),
    );
    this.#publishRetries = Math.round(positive('publishRetries', options.publishRetries ?? 5, 0, 100));
    this.sqsLib = sqsLib;
    this.#snsLib = snsLib;
    if (options.sqs !== undefined) this.sqs = options.sqs;
    else {
      this.sqs = new sqsLib.SQSClient({
        region: options.region,
        ...(options.endpoint === undefined
          ? {}
          : { endpoint: options.endpoint, useQueueUrlAsEndpoint: false }),
        ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      });
      this.#owned.push(this.sqs);
    }
    if (this.fanOut === 'sns' && snsLib !== undefined) {
      if (options.sns !== undefined) this.#sns = options.sns;
      else {
        this.#sns = new snsLib.SNSClient({
          region: options.region,
          ...(options.snsEndpoint === undefined ? {} : { endpoint: options.snsEndpoint }),
          ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
        });
        this.#owned.push(this.#sns);
      }
    }
    this.#topology = new SqsTopology(
      this.#names,
      { lib: sqsLib, client: this.sqs },
      this.#sns === undefined || snsLib === undefined ? undefined : { lib: snsLib, client: this.#sns },
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The groups this instance declared. */
  get groups(): string[] {
    return [...this.#groups.keys()];
  }

  // ---------------------------------------------------------------------------------------------
  // Publishing

  /** With SNS fan-out, the category's topic; directly, the event goes to every matching queue: none. */
  destinationOf(event: StoredEvent): string | undefined {
    return this.fanOut === 'sns' ? topicName(this.#names, event.category) : undefined;
  }

  async publish(events: readonly StoredEvent[], options: PublishOptions = {}): Promise<void> {
    if (this.#closed) throw new BrokerClosedError('publish');
    if (events.length === 0) return;
    // Every event is encoded and checked before anything is sent.
    const entries: (BatchEntry & { event: StoredEvent })[] = events.map((event) => {
      const message = toSqsMessage(event, this.#source, this.maxMessageBytes);
      return {
        event,
        lane: event.streamId,
        body: message.body,
        attributes: message.attributes,
        ...(this.fifo ? { groupId: messageGroupId(event.streamId), deduplicationId: event.id } : {}),
      };
    });
    const settings = {
      lanes: this.#publishConcurrency,
      retries: this.#publishRetries,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    const sends: Promise<void>[] = [];
    if (this.fanOut === 'sns') {
      const byCategory = new Map<string, typeof entries>();
      for (const entry of entries) {
        const list = byCategory.get(entry.event.category) ?? [];
        list.push(entry);
        byCategory.set(entry.event.category, list);
      }
      for (const [category, list] of byCategory) {
        sends.push(
          this.#topology
            .topic(category)
            .then((topicArn) =>
              publishEntries(
                `SNS topic ${topicName(this.#names, category)}`,
                list,
                settings,
                (batch, signal) => this.#publishBatch(topicArn, batch, signal),
              ),
            )
            .catch((error: unknown) => {
              // The topic may have been deleted: the next publish creates or finds it again.
              this.#topology.forgetTopic(category);
              throw error;
            }),
        );
      }
    } else {
      const routes = await this.#currentRoutes();
      for (const route of routes) {
        const list = entries.filter((e) => matches(route.filter, e.event));
        if (list.length === 0) continue;
        sends.push(
          publishEntries(`SQS queue ${route.url}`, list, settings, (batch, signal) =>
            this.#sendBatch(route.url, batch, signal),
          ).catch((error: unknown) => {
            // The queue may have been deleted: the next publish reads the group queues again.
            this.#routes = undefined;
            throw error;
          }),
        );
      }
    }
    const results = await Promise.allSettled(sends);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async #sendBatch(queueUrl: string, batch: readonly BatchEntry[], signal: AbortSignal | undefined) {
    const out = await this.sqs.send(
      new this.sqsLib.SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((entry, i) => ({
          Id: `e${i}`,
          MessageBody: entry.body,
          MessageAttributes: entry.attributes,
          ...(entry.groupId === undefined ? {} : { MessageGroupId: entry.groupId }),
          ...(entry.deduplicationId === undefined ? {} : { MessageDeduplicationId: entry.deduplicationId }),
        })),
      }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    return out.Failed ?? [];
  }

  async #publishBatch(topicArn: string, batch: readonly BatchEntry[], signal: AbortSignal | undefined) {
    const out = await this.#sns!.send(
      new this.#snsLib!.PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: batch.map((entry, i) => ({
          Id: `e${i}`,
          Message: entry.body,
          MessageAttributes: entry.attributes,
          ...(entry.groupId === undefined ? {} : { MessageGroupId: entry.groupId }),
          ...(entry.deduplicationId === undefined ? {} : { MessageDeduplicationId: entry.deduplicationId }),
        })),
      }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    return out.Failed ?? [];
  }

  /** 'direct' fan-out: the group queues of the prefix with their filters, re-read every routingRefreshMs. */
  #currentRoutes(): Promise<Route[]> {
    const now = Date.now();
    if (this.#routes !== undefined && now - this.#routes.at < this.#routingRefreshMs)
      return this.#routes.routes;
    const routes = this.#topology.readRoutes();
    this.#routes = { at: now, routes };
    routes.catch(() => {
      if (this.#routes?.routes === routes) this.#routes = undefined;
    });
    return routes;
  }

  // ---------------------------------------------------------------------------------------------
  // Groups

  async declareGroup(options: SqsGroupOptions): Promise<void> {
    if (this.#closed) throw new BrokerClosedError('declareGroup');
    await this.#declare(options);
  }

  async #declare(options: SqsGroupOptions): Promise<GroupQueues> {
    const queues = await this.#topology.declare(options);
    this.#groups.set(options.group, queues);
    this.#routes = undefined;
    return queues;
  }

  // ---------------------------------------------------------------------------------------------
  // Consuming

  async consume(options: SqsConsumeOptions, handler: MessageHandler): Promise<Consumer> {
    if (this.#closed) throw new BrokerClosedError('consume');
    const resolved = resolveConsumeOptions(options, messagingSystem(this.name));
    const queues = await this.#declare({ ...options, maxDeliveries: resolved.maxDeliveries });
    const expected = positive(
      'expectedHandlerMs',
      options.expectedHandlerMs ?? this.#expectedHandlerMs,
      1,
      7_200_000,
    );
    const visibility =
      options.visibilityTimeoutSeconds ??
      this.#visibilityTimeoutSeconds ??
      Math.min(43_200, Math.max(1, Math.ceil((6 * expected) / 1000)));
    const consumer = new SqsConsumer(
      this,
      options.group,
      {
        queueUrl: queues.url,
        deadLetterQueueUrl: queues.deadLetterUrl,
        visibilityTimeoutSeconds: Math.round(positive('visibilityTimeoutSeconds', visibility, 1, 43_200)),
        waitTimeSeconds: this.#waitTimeSeconds,
      },
      resolved,
      handler,
    );
    this.#consumers.add(consumer);
    consumer.start();
    return consumer;
  }

  forget(consumer: object): void {
    this.#consumers.delete(consumer as SqsConsumer);
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  /** Messages waiting plus messages received and not yet deleted (ApproximateNumberOfMessages + …NotVisible). */
  async lag(group: string): Promise<ConsumerLag> {
    assertGroup(this.#names, group);
    const name = queueName(this.#names, group);
    const url = this.#groups.get(group)?.url ?? (await this.#topology.queueUrl(name));
    const out = await this.#call(`read the depth of queue ${name}`, () =>
      this.sqs.send(
        new this.sqsLib.GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      ),
    );
    const lag =
      Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    return { group, lag, partitions: [{ partition: name, lag }] };
  }

  /**
   * The group's dead letters, oldest first. SQS cannot read a message without receiving it: they are
   * received (hidden for a few seconds, so none is read twice) and made visible again at once. Each
   * read adds one to their ApproximateReceiveCount.
   */
  async deadLetters(group: string, options: { limit?: number } = {}): Promise<BrokerDeadLetter[]> {
    assertGroup(this.#names, group);
    const limit = options.limit ?? 100;
    const name = deadLetterQueueName(this.#names, group);
    const url = this.#groups.get(group)?.deadLetterUrl ?? (await this.#topology.queueUrl(name));
    const received: SqsSdk.Message[] = [];
    const seen = new Set<string>();
    try {
      while (received.length < limit) {
        const out = await this.#call(`read dead letters of ${name}`, () =>
          this.sqs.send(
            new this.sqsLib.ReceiveMessageCommand({
              QueueUrl: url,
              MaxNumberOfMessages: Math.min(10, limit - received.length),
              WaitTimeSeconds: 0,
              VisibilityTimeout: 10,
              MessageAttributeNames: ['All'],
              MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
            }),
          ),
        );
        const fresh = (out.Messages ?? []).filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
        if (fresh.length === 0) break;
        for (const m of fresh) {
          seen.add(m.MessageId!);
          received.push(m);
        }
      }
    } finally {
      for (let i = 0; i < received.length; i += 10) {
        const chunk = received.slice(i, i + 10);
        await this.sqs
          .send(
            new this.sqsLib.ChangeMessageVisibilityBatchCommand({
              QueueUrl: url,
              Entries: chunk.map((m, j) => ({
                Id: `m${j}`,
                ReceiptHandle: m.ReceiptHandle!,
                VisibilityTimeout: 0,
              })),
            }),
          )
          .catch(() => {});
      }
    }
    return received
      .map((m) => toDeadLetter(group, m))
      .sort((a, b) => a.deadLetteredAt.getTime() - b.deadLetteredAt.getTime());
  }

  // ---------------------------------------------------------------------------------------------
  // Administration

  /** Deletes a group's queue and dead-letter queue, with their messages (and its SNS subscriptions). */
  async deleteGroup(group: string): Promise<void> {
    await this.#topology.deleteGroup(group);
    this.#groups.delete(group);
    this.#routes = undefined;
  }

  /** Deletes the prefix's SNS topics ('sns' fan-out); queues stay until deleteGroup. */
  deleteTopics(): Promise<void> {
    return this.#topology.deleteTopics();
  }

  on<K extends keyof BrokerEvents>(event: K, listener: BrokerEventListener<K>): () => void {
    return this.emitter.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    for (const client of this.#owned) client.destroy();
  }

  async #call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (cause) {
      throw this.#translate(cause, what);
    }
  }

  #translate(cause: unknown, what: string): Error {
    return translateDriverError('SQS', cause, what);
  }
}

function matches(filter: Filter, event: StoredEvent): boolean {
  return (
    (filter.categories === null || filter.categories.includes(event.category)) &&
    (filter.types === null || filter.types.includes(event.type))
  );
}
