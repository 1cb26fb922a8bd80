import type * as SnsSdk from '@aws-sdk/client-sns';
import type * as SqsSdk from '@aws-sdk/client-sqs';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import type { GroupOptions } from '../../messaging/broker.js';
import { DEFAULT_MAX_DELIVERIES } from '../../messaging/broker.js';
import { translateDriverError } from '../shared/errors.js';
import type { SqsLib } from './host.js';
import { assertGroup, deadLetterQueueName, groupOfQueue, type Names, queueName, topicName } from './names.js';

export type SnsLib = typeof SnsSdk;

/** declareGroup's options on SQS: the redrive policy's maxReceiveCount comes from maxDeliveries. */
export interface SqsGroupOptions extends GroupOptions {
  /** Receives before SQS moves a message to the group's dead-letter queue (default 5). */
  maxDeliveries?: number;
}

/** The categories and types a group receives; null: all. */
export interface Filter {
  categories: string[] | null;
  types: string[] | null;
}

export interface GroupQueues {
  url: string;
  arn: string;
  deadLetterUrl: string;
  filter: Filter;
}

export interface Route {
  url: string;
  filter: Filter;
}

const FILTER_TAG = 'factum:filter';
const PREFIX_TAG = 'factum:prefix';
/** AWS tag values: at most 256 characters. */
const MAX_TAG_VALUE = 256;

/**
 * The queues, topics and subscriptions of one prefix: a group's queue and dead-letter queue with the
 * redrive policy and the filter tag, and with SNS fan-out the topic per category, the subscriptions and
 * the queue policy that lets the topics send. Every call is idempotent.
 */
export class SqsTopology {
  readonly names: Names;
  readonly prefix: string;
  readonly fifo: boolean;
  readonly #sqsLib: SqsLib;
  readonly #sqs: SqsSdk.SQSClient;
  readonly #snsLib: SnsLib | undefined;
  readonly #sns: SnsSdk.SNSClient | undefined;
  readonly #topics = new Map<string, Promise<string>>();
  readonly #policies = new Set<string>();

  constructor(
    names: Names,
    sqs: { lib: SqsLib; client: SqsSdk.SQSClient },
    sns: { lib: SnsLib; client: SnsSdk.SNSClient } | undefined,
  ) {
    this.names = names;
    this.prefix = names.prefix;
    this.fifo = names.fifo;
    this.#sqsLib = sqs.lib;
    this.#sqs = sqs.client;
    this.#snsLib = sns?.lib;
    this.#sns = sns?.client;
  }

  /** Forgets a category's topic, so the next use creates (or finds) it again. */
  forgetTopic(category: string): void {
    this.#topics.delete(category);
  }

  /** The prefix's group queues with their filters: where 'direct' fan-out sends. */
  async readRoutes(): Promise<Route[]> {
    const routes: Route[] = [];
    for (const url of await this.#listGroupQueues()) {
      const tags = await this.#call(`read the tags of queue ${url}`, () =>
        this.#sqs.send(new this.#sqsLib.ListQueueTagsCommand({ QueueUrl: url })),
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
        this.#sqs.send(
          new this.#sqsLib.ListQueuesCommand({
            QueueNamePrefix: `${this.prefix}-`,
            MaxResults: 1000,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        ),
      );
      for (const url of out.QueueUrls ?? []) {
        const name = url.slice(url.lastIndexOf('/') + 1);
        if (groupOfQueue(this.names, name) !== undefined) urls.push(url);
      }
      token = out.NextToken;
    } while (token !== undefined);
    return urls;
  }

  /**
   * Creates (or finds) the group's queue and dead-letter queue, widens its filter tag, sets the redrive
   * policy, and with SNS fan-out subscribes the queue to its topics.
   */
  async declare(options: SqsGroupOptions): Promise<GroupQueues> {
    assertGroup(this.names, options.group);
    const wanted: Filter = {
      categories: options.categories === undefined ? null : [...new Set(options.categories)].sort(),
      types: options.types === undefined ? null : [...new Set(options.types)].sort(),
    };
    const dlqName = deadLetterQueueName(this.names, options.group);
    const name = queueName(this.names, options.group);
    const deadLetterUrl = await this.#ensureQueue(dlqName, { [PREFIX_TAG]: this.prefix });
    const deadLetterArn = await this.queueArn(deadLetterUrl);
    const url = await this.#ensureQueue(name, {
      [PREFIX_TAG]: this.prefix,
      [FILTER_TAG]: filterTag(options.group, wanted),
    });
    // Filters only widen: a group declared again with other filters gets the union of both.
    const tags = await this.#call(`read the tags of queue ${name}`, () =>
      this.#sqs.send(new this.#sqsLib.ListQueueTagsCommand({ QueueUrl: url })),
    );
    const stored = tags.Tags?.[FILTER_TAG];
    const filter = stored === undefined ? wanted : widen(parseFilter(stored), wanted);
    const tag = filterTag(options.group, filter);
    if (tag !== stored || tags.Tags?.[PREFIX_TAG] !== this.prefix) {
      await this.#call(`tag queue ${name}`, () =>
        this.#sqs.send(
          new this.#sqsLib.TagQueueCommand({
            QueueUrl: url,
            Tags: { [PREFIX_TAG]: this.prefix, [FILTER_TAG]: tag },
          }),
        ),
      );
    }
    const current = await this.#call(`read the attributes of queue ${name}`, () =>
      this.#sqs.send(
        new this.#sqsLib.GetQueueAttributesCommand({
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
        this.#sqs.send(
          new this.#sqsLib.SetQueueAttributesCommand({
            QueueUrl: url,
            Attributes: {
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount }),
            },
          }),
        ),
      );
    }
    const queues: GroupQueues = { url, arn, deadLetterUrl, filter };
    if (this.#sns !== undefined) await this.#subscribeGroup(queues);
    return queues;
  }

  async #ensureQueue(name: string, tags: Record<string, string>): Promise<string> {
    try {
      const out = await this.#sqs.send(
        new this.#sqsLib.CreateQueueCommand({
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
        this.#sqs.send(new this.#sqsLib.GetQueueUrlCommand({ QueueName: name })),
      );
      return out.QueueUrl!;
    }
  }

  async queueArn(url: string): Promise<string> {
    const out = await this.#call(`read the ARN of queue ${url}`, () =>
      this.#sqs.send(
        new this.#sqsLib.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      ),
    );
    return out.Attributes?.QueueArn ?? '';
  }

  /** 'sns' fan-out: subscribes the group's queue to its categories' topics (all of the prefix's, without categories). */
  async #subscribeGroup(queues: GroupQueues): Promise<void> {
    const topics =
      queues.filter.categories === null
        ? await this.#listTopics()
        : await Promise.all(queues.filter.categories.map((c) => this.topic(c)));
    for (const topicArn of topics)
      await this.#subscribe(topicArn, queues.url, queues.arn, queues.filter.types);
  }

  /** The topic of a category, created at first use; a new topic gets the queues of the groups without categories. */
  topic(category: string): Promise<string> {
    const known = this.#topics.get(category);
    if (known !== undefined) return known;
    const created = (async () => {
      const name = topicName(this.names, category);
      const out = await this.#call(`create SNS topic ${name}`, () =>
        this.#sns!.send(
          new this.#snsLib!.CreateTopicCommand({
            Name: name,
            Attributes: this.fifo ? { FifoTopic: 'true' } : {},
          }),
        ),
      );
      const topicArn = out.TopicArn!;
      for (const route of await this.readRoutes()) {
        if (route.filter.categories !== null) continue;
        await this.#subscribe(topicArn, route.url, await this.queueArn(route.url), route.filter.types);
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
      this.#sqs.send(
        new this.#sqsLib.SetQueueAttributesCommand({
          QueueUrl: queueUrl,
          Attributes: { Policy: JSON.stringify(policy) },
        }),
      ),
    );
    this.#policies.add(queueUrl);
  }

  async queueUrl(name: string): Promise<string> {
    const out = await this.#call(`find queue ${name}`, () =>
      this.#sqs.send(new this.#sqsLib.GetQueueUrlCommand({ QueueName: name })),
    );
    return out.QueueUrl!;
  }

  /** Deletes a group's queue and dead-letter queue, with their messages (and its SNS subscriptions). */
  async deleteGroup(group: string): Promise<void> {
    assertGroup(this.names, group);
    for (const name of [queueName(this.names, group), deadLetterQueueName(this.names, group)]) {
      const url = await this.queueUrl(name).catch(() => undefined);
      if (url === undefined) continue;
      if (this.#sns !== undefined && name === queueName(this.names, group)) {
        const arn = await this.queueArn(url);
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
        this.#sqs.send(new this.#sqsLib.DeleteQueueCommand({ QueueUrl: url })),
      );
    }
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
