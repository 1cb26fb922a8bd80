import type * as JetStream from '@nats-io/jetstream';
import type * as Transport from '@nats-io/transport-node';
import { Emitter } from '../../core/emitter.js';
import type { StoredEvent } from '../../core/envelope.js';
import {
  BrokerClosedError,
  BrokerUnavailableError,
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
import { DEFAULT_MAX_DELIVERIES } from '../../messaging/broker.js';
import { messagingSystem, resolveConsumeOptions } from '../shared/delivery.js';
import { errorMessage, translateDriverError } from '../shared/errors.js';
import { assertName, routingKeyOf, routingPatterns } from '../shared/naming.js';
import { NatsConsumer } from './consumer.js';
import { toNatsDeadLetter } from './dead-letters.js';
import type { NatsHost } from './host.js';
import { writeNatsHeaders } from './wire.js';

type TransportLib = typeof Transport;
type JetStreamLib = typeof JetStream;

export interface NatsBrokerOptions {
  /** nats://host:port (default nats://127.0.0.1:4222), or several. */
  servers?: string | string[];
  /** Subjects are `<prefix>.<category>.<type>` (default 'factum'); dead letters `<prefix>_dlq.<group>`. */
  prefix?: string;
  /** The JetStream stream over `<prefix>.>` (default: the prefix upper-cased, '.' and '-' as '_'). */
  stream?: string;
  /** CloudEvents `source` of published events (default '/factum'). */
  source?: string;
  /** Connection name shown by the server (default 'factum'). */
  name?: string;
  /** How long a delivered message may stay unacknowledged before redelivery (ms, default 30,000). */
  ackWaitMs?: number;
  /** How long publish() waits for the stream's acks (ms, default 30,000). */
  publishTimeoutMs?: number;
  /** Stream replicas (default 1). */
  replicas?: number;
  /** Window in which the stream drops a re-publish of the same event id (ms, default 120,000). */
  duplicateWindowMs?: number;
}

/** Connects to NATS and creates (or updates) the event stream and its dead-letter stream. */
export async function createNatsBroker(options: NatsBrokerOptions = {}): Promise<NatsBroker> {
  let transport: TransportLib;
  let lib: JetStreamLib;
  try {
    transport = await import('@nats-io/transport-node');
  } catch (cause) {
    throw new MissingDriverError('@nats-io/transport-node', cause);
  }
  try {
    lib = await import('@nats-io/jetstream');
  } catch (cause) {
    throw new MissingDriverError('@nats-io/jetstream', cause);
  }
  const servers = options.servers ?? 'nats://127.0.0.1:4222';
  let nc: Transport.NatsConnection;
  try {
    nc = await transport.connect({
      servers,
      name: options.name ?? 'factum',
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      // No stack captured ahead of every request (each publish waits for its PubAck): publish()
      // names the event in its own error, and the captures cost more than the rest of a publish.
      noAsyncTraces: true,
    });
  } catch (cause) {
    throw new BrokerUnavailableError(`Cannot connect to NATS at ${String(servers)}: ${errorMessage(cause)}`, {
      cause,
    });
  }
  try {
    const jsm = await lib.jetstreamManager(nc);
    const broker = new NatsBroker(nc, lib.jetstream(nc), jsm, lib, transport, options);
    await broker.ensureStreams();
    return broker;
  } catch (cause) {
    await nc.close().catch(() => {});
    throw translate(cause, 'set up the JetStream streams');
  }
}

export class NatsBroker implements Broker, NatsHost {
  readonly name = 'nats';
  readonly capabilities: BrokerCapabilities = { orderedCompetingConsumers: false };
  readonly js: JetStream.JetStreamClient;
  readonly jsm: JetStream.JetStreamManager;
  readonly lib: JetStreamLib;
  readonly transport: TransportLib;
  readonly stream: string;
  readonly deadLetterStream: string;
  readonly prefix: string;
  readonly emitter = new Emitter<BrokerEvents>();
  readonly ackWaitMs: number;
  readonly #nc: Transport.NatsConnection;
  readonly #source: string;
  readonly #publishTimeoutMs: number;
  readonly #replicas: number;
  readonly #duplicateWindowMs: number;
  readonly #consumers = new Set<NatsConsumer>();
  #closed = false;

  constructor(
    nc: Transport.NatsConnection,
    js: JetStream.JetStreamClient,
    jsm: JetStream.JetStreamManager,
    lib: JetStreamLib,
    transport: TransportLib,
    options: NatsBrokerOptions,
  ) {
    const prefix = options.prefix ?? 'factum';
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix) || prefix.length > 100) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'prefix',
        `prefix must be dot-separated tokens of letters, digits, '-' or '_', got ${prefix}`,
      );
    }
    this.#nc = nc;
    this.js = js;
    this.jsm = jsm;
    this.lib = lib;
    this.transport = transport;
    this.prefix = prefix;
    this.stream = options.stream ?? prefix.replace(/[.-]/g, '_').toUpperCase();
    assertName('stream', this.stream);
    this.deadLetterStream = `${this.stream}_DLQ`;
    this.#source = options.source ?? '/factum';
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
    this.#replicas = options.replicas ?? 1;
    this.#duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
    void this.#watchStatus();
  }

  async #watchStatus(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === 'disconnect') this.emitter.emit('broker.disconnected', {});
      else if (status.type === 'reconnect') this.emitter.emit('broker.reconnected', { attempts: 1 });
    }
  }

  deadLetterSubject(group: string): string {
    return `${this.prefix}_dlq.${group}`;
  }

  /** Creates the stream over `<prefix>.>` and the dead-letter stream over `<prefix>_dlq.>` if missing. */
  async ensureStreams(): Promise<void> {
    const nanos = (ms: number) => ms * 1_000_000;
    await this.#ensureStream({
      name: this.stream,
      subjects: [`${this.prefix}.>`],
      storage: this.lib.StorageType.File,
      num_replicas: this.#replicas,
      duplicate_window: nanos(this.#duplicateWindowMs),
    });
    await this.#ensureStream({
      name: this.deadLetterStream,
      subjects: [`${this.prefix}_dlq.>`],
      storage: this.lib.StorageType.File,
      num_replicas: this.#replicas,
      allow_direct: true,
    });
  }

  async #ensureStream(config: Partial<JetStream.StreamConfig> & { name: string }): Promise<void> {
    try {
      await this.jsm.streams.info(config.name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.jsm.streams.add(config);
    }
  }

  subject(event: Pick<StoredEvent, 'category' | 'type'>): string {
    return `${this.prefix}.${routingKeyOf(event.category, event.type)}`;
  }

  /** An event's subject. */
  destinationOf(event: StoredEvent): string {
    return this.subject(event);
  }

  async publish(events: readonly StoredEvent[], options: PublishOptions = {}): Promise<void> {
    if (this.#closed) throw new BrokerClosedError('publish');
    if (events.length === 0) return;
    options.signal?.throwIfAborted();
    // Publishes go out on the one connection in order; then wait for every PubAck.
    const acks = events.map((event) => {
      const h = this.transport.headers();
      const body = writeNatsHeaders(event, this.#source, (k, v) => h.set(k, v));
      return this.js
        .publish(this.subject(event), body, { msgID: event.id, headers: h, timeout: this.#publishTimeoutMs })
        .then(
          () => undefined,
          (cause: unknown) => {
            throw new PublishNotConfirmedError(
              `JetStream did not acknowledge event ${event.id} (${event.type} in ${event.streamId}): ${errorMessage(cause)}`,
              event.id,
              { cause },
            );
          },
        );
    });
    const all = Promise.all(acks);
    all.catch(() => {});
    await all;
  }

  #consumerConfig(options: GroupOptions, maxDeliveries: number): Partial<JetStream.ConsumerConfig> {
    const filters = routingPatterns(options, '*').map((p) => `${this.prefix}.${p}`);
    const all = filters.length === 1 && filters[0] === `${this.prefix}.*.*`;
    const config: Partial<JetStream.ConsumerConfig> = {
      durable_name: options.group,
      ack_policy: this.lib.AckPolicy.Explicit,
      deliver_policy: this.lib.DeliverPolicy.All,
      ack_wait: this.ackWaitMs * 1_000_000,
      // One more than the attempts, so the adapter itself sees the message once more and dead-letters it.
      max_deliver: maxDeliveries + 1,
    };
    if (!all) {
      if (filters.length === 1) config.filter_subject = filters[0]!;
      else config.filter_subjects = filters;
    }
    return config;
  }

  async #ensureConsumer(options: GroupOptions, maxDeliveries: number): Promise<void> {
    assertName('group', options.group);
    const config = this.#consumerConfig(options, maxDeliveries);
    try {
      const info = await this.jsm.consumers.info(this.stream, options.group);
      if (info.config.max_deliver !== config.max_deliver || info.config.ack_wait !== config.ack_wait) {
        await this.jsm.consumers.update(this.stream, options.group, {
          max_deliver: config.max_deliver!,
          ack_wait: config.ack_wait!,
        });
      }
    } catch (error) {
      if (!isNotFound(error)) throw translate(error, `read consumer ${options.group}`);
      try {
        await this.jsm.consumers.add(this.stream, config);
      } catch (cause) {
        throw translate(cause, `create durable consumer ${options.group}`);
      }
    }
  }

  async declareGroup(options: GroupOptions): Promise<void> {
    if (this.#closed) throw new BrokerClosedError('declareGroup');
    await this.#ensureConsumer(options, DEFAULT_MAX_DELIVERIES);
  }

  async consume(options: ConsumeOptions, handler: MessageHandler): Promise<Consumer> {
    if (this.#closed) throw new BrokerClosedError('consume');
    const resolved = resolveConsumeOptions(options, messagingSystem(this.name));
    await this.#ensureConsumer(options, resolved.maxDeliveries);
    const consumer = new NatsConsumer(this, resolved, handler);
    this.#consumers.add(consumer);
    await consumer.start();
    return consumer;
  }

  forget(consumer: object): void {
    this.#consumers.delete(consumer as NatsConsumer);
  }

  async lag(group: string): Promise<ConsumerLag> {
    assertName('group', group);
    let info: JetStream.ConsumerInfo;
    try {
      info = await this.jsm.consumers.info(this.stream, group);
    } catch (cause) {
      throw translate(cause, `read consumer ${group}`);
    }
    const lag = info.num_pending + info.num_ack_pending;
    return { group, lag, partitions: [{ partition: this.stream, lag }] };
  }

  async deadLetters(group: string, options: { limit?: number } = {}): Promise<BrokerDeadLetter[]> {
    assertName('group', group);
    const limit = options.limit ?? 100;
    const subject = this.deadLetterSubject(group);
    const letters: BrokerDeadLetter[] = [];
    let seq = 1;
    while (letters.length < limit) {
      let stored: JetStream.StoredMsg | null;
      try {
        stored = await this.jsm.direct.getMessage(this.deadLetterStream, { seq, next_by_subj: subject });
      } catch (error) {
        if (isNotFound(error)) break;
        throw translate(error, `read dead letters of ${group}`);
      }
      if (stored === null) break;
      letters.push(toNatsDeadLetter(group, stored));
      seq = stored.seq + 1;
    }
    return letters;
  }

  on<K extends keyof BrokerEvents>(event: K, listener: BrokerEventListener<K>): () => void {
    return this.emitter.on(event, listener);
  }

  /** Deletes the event stream and the dead-letter stream (tests, teardown). */
  async deleteStreams(): Promise<void> {
    for (const name of [this.stream, this.deadLetterStream]) {
      await this.jsm.streams.delete(name).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    await this.#nc.drain().catch(() => this.#nc.close());
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { code?: unknown; api_error?: { err_code?: number; code?: number }; message?: string };
  if (e?.api_error?.code === 404) return true;
  return typeof e?.message === 'string' && /not found/i.test(e.message);
}

export function translate(cause: unknown, operation: string): Error {
  return translateDriverError('NATS', cause, operation);
}
