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
  GroupOptions,
  MessageHandler,
  PublishOptions,
} from '../../messaging/broker.js';
import { DEFAULT_MAX_DELIVERIES } from '../../messaging/broker.js';
import { resolveConsumeOptions } from '../shared/delivery.js';
import { translateDriverError } from '../shared/errors.js';
import { SqsConsumer } from './consumer.js';
import { toDeadLetter } from './dead-letters.js';
import type { SqsConsumerHost, SqsLib } from './host.js';
import {
  assertGroup,
  assertPrefix,
  deadLetterQueueName,
  groupOfQueue,
  messageGroupId,
  type Names,
  queueName,
  topicName,
} from './names.js';
import { type BatchEntry, publishEntries } from './publish.js';
import { DEFAULT_MAX_MESSAGE_BYTES, toSqsMessage } from './wire.js';

type SnsLib = typeof SnsSdk;

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

/** declareGroup's options on SQS: the redrive policy's maxReceiveCount comes from maxDeliveries. */
export interface SqsGroupOptions extends GroupOptions {
  /** Receives before SQS moves a message to the group's dead-letter queue (default 5). */
  maxDeliveries?: number;
}

/** consume's options on SQS. */
export interface SqsConsumeOptions extends ConsumeOptions {
  /** Overrides the broker's expectedHandlerMs for this consumer. */
  expectedHandlerMs?: number;
  /** Overrides the broker's visibility timeout for this consumer (s). */
  visibilityTimeoutSeconds?: number;
}

interface Filter {
  categories: string[] | null;
  types: string[] | null;
}

interface GroupQueues {
  url: string;
  arn: string;
  deadLetterUrl: string;
  filter: Filter;
}

interface Route {
  url: string;
  filter: Filter;
}

const FILTER_TAG = 'factum:filter';
const PREFIX_TAG = 'factum:prefix';
/** AWS tag values: at most 256 characters. */
const MAX_TAG_VALUE = 256;

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
  readonly #source: string;
  readonly #waitTimeSeconds: number;
  readonly #expectedHandlerMs: number;
  readonly #visibilityTimeoutSeconds: number | undefined;
  readonly #routingRefreshMs: number;
  readonly #publishConcurrency: number;
  readonly #publishRetries: number;
  readonly #groups = new Map<string, GroupQueues>();
  readonly #topics = new Map<string, Promise<string>>();
  readonly #policies = new Set<string>();
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
          this.#topic(category).then((topicArn) =>
            publishEntries(`SNS topic ${topicName(this.#names, category)}`, list, settings, (batch, signal) =>
              this.#publishBatch(topicArn, batch, signal),
            ),
          ),
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
          ),
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
    const routes = this.#readRoutes();
    this.#routes = { at: now, routes };
    routes.catch(() => {
      if (this.#routes?.routes === routes) this.#routes = undefined;
    });
    return routes;
  }

  async #readRoutes(): Promise<Route[]> {
    const routes: Route[] = [];
    for (const url of await this.#listGroupQueues()) {
      const tags = await this.#call(`read the tags of queue ${url}`, () =>
        this.sqs.send(new this.sqsLib.ListQueueTagsCommand({ QueueUrl: url })),
      );
      if (tags.Tags?.[PREFIX_TAG] !== this.prefix) continue;
      routes.push({ url, filter: parseFilter(tags.Tags?.[FILTER_TAG]) });
    }
    return routes;
  }

  /** URLs of this prefix's group queues (dead-letter queues left out). */
  async #listGroupQueues(): Promise<string[]> {
    const urls: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.#call('list queues', () =>
        this.sqs.send(
          new this.sqsLib.ListQueuesCommand({
            QueueNamePrefix: `${this.prefix}-`,
            MaxResults: 1000,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        ),
      );
      for (const url of out.QueueUrls ?? []) {
        const name = url.slice(url.lastIndexOf('/') + 1);
        if (groupOfQueue(this.#names, name) !== undefined) urls.push(url);
      }
      token = out.NextToken;
    } while (token !== undefined);
    return urls;
  }

  // ---------------------------------------------------------------------------------------------
  // Groups

  async declareGroup(options: SqsGroupOptions): Promise<void> {
    if (this.#closed) throw new BrokerClosedError('declareGroup');
    await this.#declare(options);
  }

  async #declare(options: SqsGroupOptions): Promise<GroupQueues> {
    assertGroup(this.#names, options.group);
    const wanted: Filter = {
      categories: options.categories === undefined ? null : [...new Set(options.categories)].sort(),
      types: options.types === undefined ? null : [...new Set(options.types)].sort(),
    };
    const dlqName = deadLetterQueueName(this.#names, options.group);
    const name = queueName(this.#names, options.group);
    const deadLetterUrl = await this.#ensureQueue(dlqName, { [PREFIX_TAG]: this.prefix });
    const deadLetterArn = await this.#queueArn(deadLetterUrl);
    const url = await this.#ensureQueue(name, {
      [PREFIX_TAG]: this.prefix,
      [FILTER_TAG]: filterTag(options.group, wanted),
    });
    // Filters only widen: a group declared again with other filters gets the union of both.
    const tags = await this.#call(`read the tags of queue ${name}`, () =>
      this.sqs.send(new this.sqsLib.ListQueueTagsCommand({ QueueUrl: url })),
    );
    const stored = tags.Tags?.[FILTER_TAG];
    const filter = stored === undefined ? wanted : widen(parseFilter(stored), wanted);
    const tag = filterTag(options.group, filter);
    if (tag !== stored || tags.Tags?.[PREFIX_TAG] !== this.prefix) {
      await this.#call(`tag queue ${name}`, () =>
        this.sqs.send(
          new this.sqsLib.TagQueueCommand({
            QueueUrl: url,
            Tags: { [PREFIX_TAG]: this.prefix, [FILTER_TAG]: tag },
          }),
        ),
      );
    }
    const current = await this.#call(`read the attributes of queue ${name}`, () =>
      this.sqs.send(
        new this.sqsLib.GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['QueueArn', 'RedrivePolicy'],
        }),
      ),
    );
    const arn = current.Attributes?.QueueArn ?? '';
    const existing = parseRedrive(current.Attributes?.RedrivePolicy);
    const maxReceiveCount = options.maxDeliveries ?? existing?.maxReceiveCount ?? DEFAULT_MAX_DELIVERIES;
    if (existing?.maxReceiveCount !== maxReceiveCount || existing.deadLetterTargetArn !== deadLetterArn) {
      await this.#call(`set the redrive policy of queue ${name}`, () =>
        this.sqs.send(
          new this.sqsLib.SetQueueAttributesCommand({
            QueueUrl: url,
            Attributes: {
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount }),
            },
          }),
        ),
      );
    }
    const queues: GroupQueues = { url, arn, deadLetterUrl, filter };
    this.#groups.set(options.group, queues);
    this.#routes = undefined;
    if (this.fanOut === 'sns') await this.#subscribeGroup(queues);
    return queues;
  }

  async #ensureQueue(name: string, tags: Record<string, string>): Promise<string> {
    try {
      const out = await this.sqs.send(
        new this.sqsLib.CreateQueueCommand({
          QueueName: name,
          Attributes: this.fifo ? { FifoQueue: 'true' } : {},
          tags,
        }),
      );
      return out.QueueUrl!;
    } catch (cause) {
      const code = (cause as { name?: string }).name ?? '';
      if (!/QueueNameExists|QueueAlreadyExists/.test(code))
        throw this.#translate(cause, `create queue ${name}`);
      const out = await this.#call(`find queue ${name}`, () =>
        this.sqs.send(new this.sqsLib.GetQueueUrlCommand({ QueueName: name })),
      );
      return out.QueueUrl!;
    }
  }

  async #queueArn(url: string): Promise<string> {
    const out = await this.#call(`read the ARN of queue ${url}`, () =>
      this.sqs.send(
        new this.sqsLib.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      ),
    );
    return out.Attributes?.QueueArn ?? '';
  }

  /** 'sns' fan-out: subscribes the group's queue to its categories' topics (all of the prefix's, without categories). */
  async #subscribeGroup(queues: GroupQueues): Promise<void> {
    const topics =
      queues.filter.categories === null
        ? await this.#listTopics()
        : await Promise.all(queues.filter.categories.map((c) => this.#topic(c)));
    for (const topicArn of topics)
      await this.#subscribe(topicArn, queues.url, queues.arn, queues.filter.types);
  }

  /** The topic of a category, created at first use; a new topic gets the queues of the groups without categories. */
  #topic(category: string): Promise<string> {
    const known = this.#topics.get(category);
    if (known !== undefined) return known;
    const created = (async () => {
      const name = topicName(this.#names, category);
      const out = await this.#call(`create SNS topic ${name}`, () =>
        this.#sns!.send(
          new this.#snsLib!.CreateTopicCommand({
            Name: name,
            Attributes: this.fifo ? { FifoTopic: 'true' } : {},
          }),
        ),
      );
      const topicArn = out.TopicArn!;
      for (const route of await this.#readRoutes()) {
        if (route.filter.categories !== null) continue;
        await this.#subscribe(topicArn, route.url, await this.#queueArn(route.url), route.filter.types);
      }
      return topicArn;
    })();
    this.#topics.set(category, created);
    created.catch(() => {
      if (this.#topics.get(category) === created) this.#topics.delete(category);
    });
    return created;
  }

  async #listTopics(): Promise<string[]> {
    const arns: string[] = [];
    let token: string | undefined;
    const start = `${this.prefix}-`;
    do {
      const out = await this.#call('list SNS topics', () =>
        this.#sns!.send(new this.#snsLib!.ListTopicsCommand(token === undefined ? {} : { NextToken: token })),
      );
      for (const topic of out.Topics ?? []) {
        const arn = topic.TopicArn ?? '';
        const name = arn.slice(arn.lastIndexOf(':') + 1);
        if (name.startsWith(start) && name.endsWith('.fifo') === this.fifo) arns.push(arn);
      }
      token = out.NextToken;
    } while (token !== undefined);
    return arns;
  }

  async #subscribe(
    topicArn: string,
    queueUrl: string,
    queueArn: string,
    types: string[] | null,
  ): Promise<void> {
    await this.#allowTopics(queueUrl, queueArn);
    const filterPolicy = types === null ? undefined : JSON.stringify({ 'ce-type': types });
    let token: string | undefined;
    do {
      const out = await this.#call(`list the subscriptions of ${topicArn}`, () =>
        this.#sns!.send(
          new this.#snsLib!.ListSubscriptionsByTopicCommand({
            TopicArn: topicArn,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        ),
      );
      const existing = out.Subscriptions?.find((s) => s.Endpoint === queueArn);
      if (existing?.SubscriptionArn !== undefined) {
        await this.#call(`set the filter policy of ${existing.SubscriptionArn}`, () =>
          this.#sns!.send(
            new this.#snsLib!.SetSubscriptionAttributesCommand({
              SubscriptionArn: existing.SubscriptionArn,
              AttributeName: 'FilterPolicy',
              AttributeValue: filterPolicy ?? '{}',
            }),
          ),
        );
        return;
      }
      token = out.NextToken;
    } while (token !== undefined);
    await this.#call(`subscribe ${queueArn} to ${topicArn}`, () =>
      this.#sns!.send(
        new this.#snsLib!.SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: queueArn,
          ReturnSubscriptionArn: true,
          Attributes: {
            RawMessageDelivery: 'true',
            ...(filterPolicy === undefined ? {} : { FilterPolicy: filterPolicy }),
          },
        }),
      ),
    );
  }

  /** The queue policy that lets this prefix's SNS topics (same region and account) send to the queue. */
  async #allowTopics(queueUrl: string, queueArn: string): Promise<void> {
    if (this.#policies.has(queueUrl)) return;
    const [, , , region, account] = queueArn.split(':');
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'factum-sns-fan-out',
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queueArn,
          Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:sns:${region}:${account}:${this.prefix}-*` } },
        },
      ],
    };
    await this.#call(`set the policy of queue ${queueUrl}`, () =>
      this.sqs.send(
        new this.sqsLib.SetQueueAttributesCommand({
          QueueUrl: queueUrl,
          Attributes: { Policy: JSON.stringify(policy) },
        }),
      ),
    );
    this.#policies.add(queueUrl);
  }

  // ---------------------------------------------------------------------------------------------
  // Consuming

  async consume(options: SqsConsumeOptions, handler: MessageHandler): Promise<Consumer> {
    if (this.#closed) throw new BrokerClosedError('consume');
    const resolved = resolveConsumeOptions(options);
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

  async #queueUrl(name: string): Promise<string> {
    const out = await this.#call(`find queue ${name}`, () =>
      this.sqs.send(new this.sqsLib.GetQueueUrlCommand({ QueueName: name })),
    );
    return out.QueueUrl!;
  }

  /** Messages waiting plus messages received and not yet deleted (ApproximateNumberOfMessages + …NotVisible). */
  async lag(group: string): Promise<ConsumerLag> {
    assertGroup(this.#names, group);
    const name = queueName(this.#names, group);
    const url = this.#groups.get(group)?.url ?? (await this.#queueUrl(name));
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
    const url = this.#groups.get(group)?.deadLetterUrl ?? (await this.#queueUrl(name));
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
    assertGroup(this.#names, group);
    for (const name of [queueName(this.#names, group), deadLetterQueueName(this.#names, group)]) {
      const url = await this.#queueUrl(name).catch(() => undefined);
      if (url === undefined) continue;
      if (this.#sns !== undefined && name === queueName(this.#names, group)) {
        const arn = await this.#queueArn(url);
        for (const topicArn of await this.#listTopics()) {
          const out = await this.#call(`list the subscriptions of ${topicArn}`, () =>
            this.#sns!.send(new this.#snsLib!.ListSubscriptionsByTopicCommand({ TopicArn: topicArn })),
          );
          for (const s of out.Subscriptions ?? []) {
            if (s.Endpoint !== arn || s.SubscriptionArn === undefined) continue;
            await this.#call(`unsubscribe ${s.SubscriptionArn}`, () =>
              this.#sns!.send(new this.#snsLib!.UnsubscribeCommand({ SubscriptionArn: s.SubscriptionArn })),
            );
          }
        }
      }
      await this.#call(`delete queue ${name}`, () =>
        this.sqs.send(new this.sqsLib.DeleteQueueCommand({ QueueUrl: url })),
      );
    }
    this.#groups.delete(group);
    this.#routes = undefined;
  }

  /** Deletes the prefix's SNS topics ('sns' fan-out); queues stay until deleteGroup. */
  async deleteTopics(): Promise<void> {
    if (this.#sns === undefined) return;
    for (const topicArn of await this.#listTopics()) {
      await this.#call(`delete SNS topic ${topicArn}`, () =>
        this.#sns!.send(new this.#snsLib!.DeleteTopicCommand({ TopicArn: topicArn })),
      );
    }
    this.#topics.clear();
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

function widen(a: Filter, b: Filter): Filter {
  const union = (x: string[] | null, y: string[] | null) =>
    x === null || y === null ? null : [...new Set([...x, ...y])].sort();
  return { categories: union(a.categories, b.categories), types: union(a.types, b.types) };
}

function filterTag(group: string, filter: Filter): string {
  const value = JSON.stringify({ c: filter.categories, t: filter.types });
  if (value.length > MAX_TAG_VALUE) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'types',
      `the categories and types of group ${group} take ${value.length} characters as a queue tag; SQS keeps ${MAX_TAG_VALUE}. Use fewer, or one group per concern`,
    );
  }
  return value;
}

function parseFilter(tag: string | undefined): Filter {
  if (tag === undefined) return { categories: null, types: null };
  try {
    const parsed = JSON.parse(tag) as { c?: unknown; t?: unknown };
    const list = (v: unknown) =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;
    return { categories: list(parsed.c), types: list(parsed.t) };
  } catch {
    return { categories: null, types: null };
  }
}

function parseRedrive(
  text: string | undefined,
): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    return {
      deadLetterTargetArn: String(parsed.deadLetterTargetArn ?? ''),
      maxReceiveCount: Number(parsed.maxReceiveCount),
    };
  } catch {
    return undefined;
  }
}
