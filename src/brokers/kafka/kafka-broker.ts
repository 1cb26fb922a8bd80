import type * as Kafka from '@platformatic/kafka';
import { Emitter } from '../../core/emitter.js';
import type { StoredEvent } from '../../core/envelope.js';
import {
  BrokerClosedError,
  ErrorCodes,
  MissingDriverError,
  PublishNotConfirmedError,
  ValidationError,
} from '../../core/errors.js';
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
import { type DeadLetterOutcome, messagingSystem, resolveConsumeOptions } from '../shared/delivery.js';
import { assertName } from '../shared/naming.js';
import { createTopic, groupLag, startGroupAtEnd, topicPartitions } from './admin.js';
import { hasApiError, describeError as message, translate } from './client-errors.js';
import { closeClient, KafkaConsumer } from './consumer.js';
import { type RawRecord, readTopic, toDeadLetterRecord, toKafkaDeadLetter } from './dead-letters.js';
import type { KafkaConsumerHost, KafkaGroupTiming } from './host.js';
import { type ResetOffsetsOptions, type ResetResult, resetGroupOffsets } from './replay.js';
import { toKafkaRecord } from './wire.js';

type KafkaLib = typeof Kafka;

export interface KafkaTopicOptions {
  /** Partitions of the event topic (default 6). Order holds per stream: the key is the stream id. */
  partitions?: number;
  /** Copies of each partition; -1 takes the broker's `default.replication.factor` (default -1). Use 3 in production. */
  replicationFactor?: number;
  /** The topic's `min.insync.replicas` (default: the broker's). With replication 3, set 2: acks=all then survives one broker down. */
  minInsyncReplicas?: number;
  /** Any other topic configs (`retention.ms`, …), applied when Factum creates the topic. */
  configs?: Record<string, string>;
}

export interface KafkaBrokerOptions {
  /** Bootstrap servers, `host:port` (default '127.0.0.1:9092'). */
  brokers?: string | readonly string[];
  /** The topic events are published to (default 'factum.events'); dead letters go to `<topic>.<group>.dlq`. */
  topic?: string;
  /** Prepended to every group name to form the Kafka group id (default ''). */
  groupIdPrefix?: string;
  /** CloudEvents `source` of published events (default '/factum'). */
  source?: string;
  /** Client id shown in the broker's logs and quotas (default 'factum'). */
  clientId?: string;
  /** Create the event and dead-letter topics when missing (default true). */
  createTopics?: boolean;
  topicOptions?: KafkaTopicOptions;
  /** Consumer group timing; defaults in KafkaGroupTiming. */
  group?: Partial<KafkaGroupTiming>;
  /** How long one request to Kafka may take (ms, default 30,000). */
  requestTimeoutMs?: number;
}

const DEFAULT_TIMING: KafkaGroupTiming = {
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  handoffTimeoutMs: 30_000,
  maxWaitMs: 500,
  commitDelayMs: 20,
};

const REFUSED = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE'];

/** Largest payload of one produce call; Kafka's default record-batch limit is 1 MiB per partition. */
const SEND_BYTES = 512 * 1024;

/** Connects to Kafka and creates the event topic. Needs the optional peer dependency @platformatic/kafka. */
export async function createKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  let lib: KafkaLib;
  try {
    lib = await import('@platformatic/kafka');
  } catch (cause) {
    throw new MissingDriverError('@platformatic/kafka', cause);
  }
  const broker = new KafkaBroker(lib, options);
  try {
    if (broker.createsTopics) await broker.ensureTopic(broker.topic, broker.topicOptions.partitions ?? 6);
  } catch (cause) {
    await broker.close().catch(() => {});
    throw translate(cause, `create topic ${broker.topic}`);
  }
  return broker;
}

export class KafkaBroker implements Broker, KafkaConsumerHost {
  readonly name = 'kafka';
  readonly capabilities: BrokerCapabilities = { orderedCompetingConsumers: true };
  readonly lib: KafkaLib;
  readonly topic: string;
  readonly emitter = new Emitter<BrokerEvents>();
  readonly timing: KafkaGroupTiming;
  readonly topicOptions: KafkaTopicOptions;
  readonly createsTopics: boolean;
  readonly admin: Kafka.Admin;
  readonly #bootstrap: string[];
  readonly #clientId: string;
  readonly #groupIdPrefix: string;
  readonly #source: string;
  readonly #requestTimeoutMs: number;
  readonly #producer: Kafka.Producer;
  readonly #consumers = new Set<KafkaConsumer>();
  readonly #topics = new Map<string, Promise<void>>();
  #reader: Kafka.Consumer | undefined;
  /** One produce request at a time: the idempotent producer's sequence numbers stay in order. */
  #sending: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(lib: KafkaLib, options: KafkaBrokerOptions) {
    const topic = options.topic ?? 'factum.events';
    assertTopic('topic', topic);
    const prefix = options.groupIdPrefix ?? '';
    if (!/^[A-Za-z0-9._-]{0,200}$/.test(prefix)) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'groupIdPrefix',
        `groupIdPrefix must be up to 200 letters, digits, '.', '-' or '_', got ${prefix}`,
      );
    }
    const brokers = options.brokers ?? '127.0.0.1:9092';
    this.#bootstrap = (typeof brokers === 'string' ? brokers.split(',') : [...brokers])
      .map((b) => b.trim())
      .filter((b) => b.length > 0);
    if (this.#bootstrap.length === 0) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'brokers',
        'brokers must name at least one host:port',
      );
    }
    this.lib = lib;
    this.topic = topic;
    this.#groupIdPrefix = prefix;
    this.#clientId = options.clientId ?? 'factum';
    this.#source = options.source ?? '/factum';
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.createsTopics = options.createTopics ?? true;
    this.topicOptions = options.topicOptions ?? {};
    this.timing = { ...DEFAULT_TIMING, ...options.group };
    this.admin = new lib.Admin(this.clientOptions());
    this.#producer = new lib.Producer({
      ...this.clientOptions(),
      idempotent: true,
      acks: lib.ProduceAcks.ALL,
      // Java's partitioner: a stream lands on the same partition whichever client produced it.
      partitioner: lib.compatibilityPartitioner,
      autocreateTopics: false,
    });
  }

  clientOptions() {
    return {
      clientId: this.#clientId,
      bootstrapBrokers: this.#bootstrap,
      timeout: this.#requestTimeoutMs,
      retries: 5,
      retryDelay: 250,
    };
  }

  groupId(group: string): string {
    return `${this.#groupIdPrefix}${group}`;
  }

  /** The topic a group's dead letters go to. */
  deadLetterTopic(group: string): string {
    const name = `${this.topic}.${group}.dlq`;
    if (name.length > 249) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'group',
        `the dead-letter topic ${name} would be longer than Kafka's 249 characters; use a shorter topic or group name`,
      );
    }
    return name;
  }

  /**
   * Creates the topic if it does not exist (partitions, replication factor and configs from the
   * options) and waits until every partition has a leader. Idempotent.
   */
  ensureTopic(name: string, partitions: number): Promise<void> {
    let pending = this.#topics.get(name);
    if (pending === undefined) {
      pending = this.#createTopic(name, partitions);
      pending.catch(() => this.#topics.delete(name));
      this.#topics.set(name, pending);
    }
    return pending;
  }

  #createTopic(name: string, partitions: number): Promise<void> {
    const o = this.topicOptions;
    const configs = { ...o.configs };
    if (o.minInsyncReplicas !== undefined) configs['min.insync.replicas'] = String(o.minInsyncReplicas);
    return createTopic(
      this.admin,
      name,
      { partitions, replicationFactor: o.replicationFactor ?? -1, configs },
      this.#requestTimeoutMs,
    );
  }

  /** The partition numbers of the event topic. */
  partitions(topic = this.topic): Promise<number[]> {
    return topicPartitions(this.admin, topic);
  }

  #send(messages: Kafka.MessageToProduce[]): Promise<void> {
    const next = this.#sending.then(() => this.#producer.send({ messages }));
    this.#sending = next.catch(() => {});
    return next.then(() => undefined);
  }

  /** Every event goes to the one event topic (keyed by its stream). */
  destinationOf(_event: StoredEvent): string {
    return this.topic;
  }

  async publish(events: readonly StoredEvent[], options: PublishOptions = {}): Promise<void> {
    if (this.#closed) throw new BrokerClosedError('publish');
    if (events.length === 0) return;
    options.signal?.throwIfAborted();
    let chunk: Kafka.MessageToProduce[] = [];
    let bytes = 0;
    let first = 0;
    const flush = async (upTo: number) => {
      if (chunk.length === 0) return;
      const messages = chunk;
      chunk = [];
      bytes = 0;
      try {
        await this.#send(messages);
      } catch (cause) {
        const event = events[first]!;
        // Kafka refuses these records for good (too large, malformed): publishing again cannot help.
        const refused = REFUSED.some((apiId) => hasApiError(cause, apiId));
        throw new PublishNotConfirmedError(
          `Kafka did not acknowledge events ${first + 1}–${upTo} of ${events.length} (from ${event.id}, ${event.type} in ${event.streamId}) on topic ${this.topic}: ${message(cause)}`,
          event.id,
          { cause, retriable: !refused },
        );
      }
      first = upTo;
    };
    for (let i = 0; i < events.length; i++) {
      const record = toKafkaRecord(events[i]!, this.#source);
      let size = record.key.length + record.value.length;
      record.headers.forEach((v, k) => {
        size += k.length + v.length;
      });
      if (bytes + size > SEND_BYTES) await flush(i);
      chunk.push({ topic: this.topic, key: record.key, value: record.value, headers: record.headers });
      bytes += size;
    }
    await flush(events.length);
  }

  async deadLetter(
    group: string,
    record: Pick<Kafka.Message, 'key' | 'value' | 'headers' | 'partition' | 'offset'>,
    outcome: DeadLetterOutcome,
  ): Promise<void> {
    const topic = this.deadLetterTopic(group);
    if (this.createsTopics) await this.ensureTopic(topic, 1);
    const letter = toDeadLetterRecord(this.topic, group, record, outcome);
    await this.#send([{ topic, ...letter }]);
  }

  /**
   * Creates the topics and, for a group that has no committed offsets yet, commits the current end of
   * each partition: the group receives every event published from now on, and its lag counts them.
   */
  async declareGroup(options: GroupOptions): Promise<void> {
    if (this.#closed) throw new BrokerClosedError('declareGroup');
    assertName('group', options.group);
    try {
      if (this.createsTopics) {
        await this.ensureTopic(this.topic, this.topicOptions.partitions ?? 6);
        await this.ensureTopic(this.deadLetterTopic(options.group), 1);
      }
      await startGroupAtEnd(this.admin, this.groupId(options.group), this.topic);
    } catch (cause) {
      throw translate(cause, `declare group ${options.group}`);
    }
  }

  async consume(options: ConsumeOptions, handler: MessageHandler): Promise<Consumer> {
    if (this.#closed) throw new BrokerClosedError('consume');
    const resolved = resolveConsumeOptions(options, messagingSystem(this.name));
    await this.declareGroup(options);
    const consumer = new KafkaConsumer(this, options, resolved, handler);
    this.#consumers.add(consumer);
    try {
      await consumer.start();
    } catch (error) {
      this.#consumers.delete(consumer);
      throw error;
    }
    return consumer;
  }

  forget(consumer: object): void {
    this.#consumers.delete(consumer as KafkaConsumer);
  }

  /** Per partition: the high watermark minus the group's committed offset (the log start when none). */
  async lag(group: string): Promise<ConsumerLag> {
    assertName('group', group);
    try {
      return await groupLag(this.admin, group, this.groupId(group), this.topic);
    } catch (cause) {
      throw translate(cause, `read the lag of group ${group}`);
    }
  }

  /**
   * The records of a topic as stored (the event topic by default), partition by partition in offset
   * order, up to `limit` (default 1,000): for inspection and tests. Joins no group, commits nothing.
   */
  async readTopic(topic = this.topic, options: { limit?: number } = {}): Promise<RawRecord[]> {
    if (this.#closed) throw new BrokerClosedError('readTopic');
    this.#reader ??= new this.lib.Consumer({ ...this.clientOptions(), groupId: `${this.#clientId}-reader` });
    return readTopic(this.#reader, this.admin, topic, options.limit ?? 1000);
  }

  async deadLetters(group: string, options: { limit?: number } = {}): Promise<BrokerDeadLetter[]> {
    assertName('group', group);
    const limit = options.limit ?? 100;
    try {
      const records = await this.readTopic(this.deadLetterTopic(group), { limit });
      return records
        .map((r) => toKafkaDeadLetter(group, r))
        .sort((a, b) => a.deadLetteredAt.getTime() - b.deadLetteredAt.getTime());
    } catch (cause) {
      if (hasApiError(cause, 'UNKNOWN_TOPIC_OR_PARTITION') || hasApiError(cause, 'UNKNOWN_TOPIC_ID'))
        return [];
      throw translate(cause, `read the dead letters of group ${group}`);
    }
  }

  /**
   * Moves a stopped group back to the beginning of the topic, to the first event stored at or after a
   * time, or to the end: the group then replays from there (rebuilding a read model). Kafka refuses
   * while the group has running members (FACTUM_GROUP_ACTIVE).
   */
  async resetOffsets(group: string, options: ResetOffsetsOptions): Promise<ResetResult> {
    if (this.#closed) throw new BrokerClosedError('resetOffsets');
    assertName('group', group);
    return resetGroupOffsets(this, group, options);
  }

  on<K extends keyof BrokerEvents>(event: K, listener: BrokerEventListener<K>): () => void {
    return this.emitter.on(event, listener);
  }

  /** Deletes the event topic and the dead-letter topics of the given groups (tests, teardown). */
  async deleteTopics(groups: readonly string[] = []): Promise<void> {
    const topics = [this.topic, ...groups.map((g) => this.deadLetterTopic(g))];
    for (const topic of topics) {
      await this.admin.deleteTopics({ topics: [topic] }).catch(() => {});
      this.#topics.delete(topic);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    await this.#sending;
    await Promise.all([
      this.#producer.close().catch(() => {}),
      this.admin.close().catch(() => {}),
      this.#reader === undefined ? undefined : closeClient(this.#reader),
    ]);
  }
}

function assertTopic(field: string, topic: string): void {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(topic) || topic === '.' || topic === '..') {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      field,
      `${field} must be 1–200 letters, digits, '.', '-' or '_', got ${topic}`,
    );
  }
}
