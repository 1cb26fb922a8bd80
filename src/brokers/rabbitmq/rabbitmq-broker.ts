import type * as Amqp from 'amqplib';
import { Emitter } from '../../core/emitter.js';
import type { StoredEvent } from '../../core/envelope.js';
import {
  BrokerClosedError,
  BrokerUnavailableError,
  ErrorCodes,
  PublishNotConfirmedError,
  ValidationError,
} from '../../core/errors.js';
import { retry } from '../../core/retry.js';
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
import { messagingSystem, resolveConsumeOptions } from '../shared/delivery.js';
import { errorMessage } from '../shared/errors.js';
import { assertName, routingKeyOf } from '../shared/naming.js';
import { RabbitMqConsumer } from './consumer.js';
import { toDeadLetter } from './dead-letters.js';
import type { RabbitMqConnectionHost } from './host.js';
import { redact, translate, waitForDrain, withSignal } from './support.js';
import {
  deadLetterQueueName,
  declareExchanges,
  declareGroupQueues,
  queueName,
  type Topology,
  topologyFor,
} from './topology.js';
import { toAmqpMessage } from './wire.js';

type AmqpLib = typeof Amqp;

export interface RabbitMqReconnectOptions {
  /** First delay after the connection is lost (ms, default 100). */
  initialDelayMs?: number;
  /** Cap of any one delay (ms, default 5,000). */
  maxDelayMs?: number;
  factor?: number;
  jitter?: number;
}

export interface RabbitMqBrokerOptions {
  /** amqp://user:pass@host:port/vhost (default amqp://guest:guest@127.0.0.1:5672). */
  url?: string;
  /** The topic exchange to publish to (default 'factum.events'); queues are named `<exchange>.<group>`. */
  exchange?: string;
  /** CloudEvents `source` of published events (default '/factum'). */
  source?: string;
  /** Shown in RabbitMQ's connection list (default 'factum'). */
  connectionName?: string;
  /** Backoff between reconnection attempts; the adapter keeps trying until it is closed. */
  reconnect?: RabbitMqReconnectOptions;
  /** How long publish() waits for a connection and for the broker's confirms (ms, default 30,000). */
  publishTimeoutMs?: number;
  /**
   * Disable Nagle's algorithm on the socket (default true): without it every confirm round-trip waits
   * for the peer's delayed ACK (~40 ms), which dominates end-to-end latency at moderate rates.
   */
  noDelay?: boolean;
}

/** Connects to RabbitMQ and declares the exchanges. Needs the optional peer dependency amqplib. */
export async function createRabbitMqBroker(options: RabbitMqBrokerOptions = {}): Promise<RabbitMqBroker> {
  const amqp = await loadAmqplib();
  const broker = new RabbitMqBroker(amqp, options);
  await broker.connect();
  return broker;
}

async function loadAmqplib(): Promise<AmqpLib> {
  try {
    const module = (await import('amqplib')) as AmqpLib & { default?: AmqpLib };
    return module.default ?? module;
  } catch (cause) {
    const { MissingDriverError } = await import('../../core/errors.js');
    throw new MissingDriverError('amqplib', cause);
  }
}

export class RabbitMqBroker implements Broker, RabbitMqConnectionHost {
  readonly name = 'rabbitmq';
  readonly capabilities: BrokerCapabilities = { orderedCompetingConsumers: false };
  readonly topology: Topology;
  readonly emitter = new Emitter<BrokerEvents>();
  readonly #amqp: AmqpLib;
  readonly #url: string;
  readonly #source: string;
  readonly #connectionName: string;
  readonly #reconnect: Required<RabbitMqReconnectOptions>;
  readonly #publishTimeoutMs: number;
  readonly #noDelay: boolean;
  readonly #abort = new AbortController();
  readonly #groups = new Map<string, GroupOptions[]>();
  readonly #consumers = new Set<RabbitMqConsumer>();
  #conn: Amqp.ChannelModel | undefined;
  #publisher: Promise<Amqp.ConfirmChannel> | undefined;
  #connecting: Promise<Amqp.ChannelModel> | undefined;
  #closed = false;

  constructor(amqp: AmqpLib, options: RabbitMqBrokerOptions) {
    const exchange = options.exchange ?? 'factum.events';
    if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(exchange)) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'exchange',
        `exchange must be 1–200 letters, digits, '.', ':', '-' or '_', got ${exchange}`,
      );
    }
    this.#amqp = amqp;
    this.#url = options.url ?? 'amqp://guest:guest@127.0.0.1:5672';
    this.#source = options.source ?? '/factum';
    this.#connectionName = options.connectionName ?? 'factum';
    this.topology = topologyFor(exchange);
    this.#reconnect = {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 5000,
      factor: options.reconnect?.factor ?? 2,
      jitter: options.reconnect?.jitter ?? 0.2,
    };
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
    this.#noDelay = options.noDelay ?? true;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The groups this instance declared (their queues are `<exchange>.<group>` and `<exchange>.<group>.dlq`). */
  get groups(): string[] {
    return [...this.#groups.keys()];
  }

  /** Deletes a group's queue and dead-letter queue, with their messages. */
  async deleteGroup(group: string): Promise<void> {
    assertName('group', group);
    await this.#withChannel(`delete the queues of group ${group}`, async (channel) => {
      await channel.deleteQueue(queueName(this.topology, group));
      await channel.deleteQueue(deadLetterQueueName(this.topology, group));
    });
    this.#groups.delete(group);
  }

  /** Deletes the exchange and the dead-letter exchange (queues stay until deleteGroup). */
  async deleteExchanges(): Promise<void> {
    await this.#withChannel(`delete exchange ${this.topology.exchange}`, async (channel) => {
      await channel.deleteExchange(this.topology.exchange);
      await channel.deleteExchange(this.topology.deadLetterExchange);
    });
  }

  /** First connection: fails fast (BrokerUnavailableError) when RabbitMQ cannot be reached. */
  async connect(): Promise<void> {
    await this.#open();
  }

  async #open(): Promise<Amqp.ChannelModel> {
    let conn: Amqp.ChannelModel;
    try {
      conn = await this.#amqp.connect(this.#url, {
        clientProperties: { connection_name: this.#connectionName },
        noDelay: this.#noDelay,
      });
    } catch (cause) {
      throw new BrokerUnavailableError(
        `Cannot connect to RabbitMQ at ${redact(this.#url)}: ${errorMessage(cause)}`,
        {
          cause,
        },
      );
    }
    conn.on('error', () => {
      // The 'close' event that follows handles it.
    });
    conn.on('close', (error?: Error) => this.#onConnectionClosed(conn, error));
    try {
      const channel = await conn.createChannel();
      await declareExchanges(channel, this.topology);
      for (const variants of this.#groups.values()) {
        for (const options of variants) await declareGroupQueues(channel, this.topology, options);
      }
      await channel.close();
    } catch (cause) {
      await conn.close().catch(() => {});
      throw translate(cause, 'declare the exchanges and queues');
    }
    if (this.#closed) {
      await conn.close().catch(() => {});
      throw new BrokerClosedError('connect');
    }
    this.#conn = conn;
    this.#publisher = undefined;
    return conn;
  }

  #onConnectionClosed(conn: Amqp.ChannelModel, error: Error | undefined): void {
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    this.#publisher = undefined;
    if (this.#closed) return;
    this.emitter.emit('broker.disconnected', error === undefined ? {} : { error });
    void this.#reconnectLoop().catch(() => {});
  }

  #reconnectLoop(): Promise<Amqp.ChannelModel> {
    if (this.#connecting !== undefined) return this.#connecting;
    let attempts = 0;
    const connecting = retry(
      async () => {
        attempts++;
        return this.#open();
      },
      {
        ...this.#reconnect,
        retries: Number.MAX_SAFE_INTEGER,
        isRetriable: () => !this.#closed,
        signal: this.#abort.signal,
      },
    ).then(
      (conn) => {
        this.#connecting = undefined;
        this.emitter.emit('broker.reconnected', { attempts });
        return conn;
      },
      (error: unknown) => {
        this.#connecting = undefined;
        throw error;
      },
    );
    this.#connecting = connecting;
    return connecting;
  }

  async connection(): Promise<Amqp.ChannelModel> {
    if (this.#closed) throw new BrokerClosedError('use the connection');
    if (this.#conn !== undefined) return this.#conn;
    return this.#reconnectLoop();
  }

  async #publishChannel(): Promise<Amqp.ConfirmChannel> {
    if (this.#publisher !== undefined) return this.#publisher;
    const created = (async () => {
      const conn = await this.connection();
      const channel = await conn.createConfirmChannel();
      channel.on('error', () => {});
      channel.on('close', () => {
        if (this.#publisher === created) this.#publisher = undefined;
      });
      return channel;
    })();
    this.#publisher = created;
    created.catch(() => {
      if (this.#publisher === created) this.#publisher = undefined;
    });
    return created;
  }

  /** Every event goes to the topic exchange (routed by category and type). */
  destinationOf(_event: StoredEvent): string {
    return this.topology.exchange;
  }

  /** `<category>.<type>`: what the groups' bindings match. */
  routingKeyOf(event: StoredEvent): string {
    return routingKeyOf(event.category, event.type);
  }

  async publish(events: readonly StoredEvent[], options: PublishOptions = {}): Promise<void> {
    if (this.#closed) throw new BrokerClosedError('publish');
    if (events.length === 0) return;
    const timeout = AbortSignal.timeout(this.#publishTimeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    const channel = await withSignal(
      this.#publishChannel(),
      signal,
      () =>
        new BrokerUnavailableError(
          `No connection to RabbitMQ at ${redact(this.#url)} within ${this.#publishTimeoutMs} ms`,
        ),
    );
    const confirms: Promise<void>[] = [];
    for (const event of events) {
      const out = toAmqpMessage(event, this.#source);
      let written = true;
      const confirmed = new Promise<void>((resolve, reject) => {
        written = channel.publish(
          this.topology.exchange,
          out.routingKey,
          out.content,
          out.properties,
          (error: unknown) => {
            if (error === null || error === undefined) resolve();
            else
              reject(
                new PublishNotConfirmedError(
                  `RabbitMQ did not confirm event ${event.id} (${event.type} in ${event.streamId}): ${errorMessage(error)}`,
                  event.id,
                  { cause: error },
                ),
              );
          },
        );
      });
      confirmed.catch(() => {});
      confirms.push(confirmed);
      // Keep the channel's write buffer bounded.
      if (!written) {
        await withSignal(
          waitForDrain(channel),
          signal,
          () =>
            new PublishNotConfirmedError(
              `RabbitMQ did not take event ${event.id} within ${this.#publishTimeoutMs} ms`,
              event.id,
            ),
        );
      }
    }
    const all = Promise.all(confirms).then(() => {});
    all.catch(() => {});
    await withSignal(
      all,
      signal,
      () =>
        new PublishNotConfirmedError(
          `RabbitMQ did not confirm ${events.length} events within ${this.#publishTimeoutMs} ms (first: ${events[0]!.id})`,
          events[0]!.id,
        ),
    );
  }

  ensureGroup(options: GroupOptions): Promise<string> {
    return this.#withChannel(`declare the queues of group ${options.group}`, (channel) =>
      declareGroupQueues(channel, this.topology, options),
    );
  }

  async declareGroup(options: GroupOptions): Promise<void> {
    if (this.#closed) throw new BrokerClosedError('declareGroup');
    assertName('group', options.group);
    await this.ensureGroup(options);
    const variants = this.#groups.get(options.group) ?? [];
    if (!variants.some((v) => sameFilters(v, options))) variants.push({ ...options });
    this.#groups.set(options.group, variants);
  }

  async consume(options: ConsumeOptions, handler: MessageHandler): Promise<Consumer> {
    if (this.#closed) throw new BrokerClosedError('consume');
    const resolved = resolveConsumeOptions(options, messagingSystem(this.name));
    await this.declareGroup(options);
    const consumer = new RabbitMqConsumer(this, options, resolved, handler);
    this.#consumers.add(consumer);
    await consumer.start();
    return consumer;
  }

  forget(consumer: object): void {
    this.#consumers.delete(consumer as RabbitMqConsumer);
  }

  async lag(group: string): Promise<ConsumerLag> {
    assertName('group', group);
    const queue = queueName(this.topology, group);
    const reply = await this.#withChannel(`read the depth of queue ${queue}`, (channel) =>
      channel.checkQueue(queue),
    );
    return { group, lag: reply.messageCount, partitions: [{ partition: queue, lag: reply.messageCount }] };
  }

  async deadLetters(group: string, options: { limit?: number } = {}): Promise<BrokerDeadLetter[]> {
    assertName('group', group);
    const limit = options.limit ?? 100;
    const dlq = deadLetterQueueName(this.topology, group);
    // A peek: the messages are fetched unacknowledged (so none is fetched twice) and handed back in
    // one basic.nack with requeue, at their place in the queue. RabbitMQ 4.3+ does not count a nack as
    // a delivery; earlier versions add one to a quorum queue message's x-delivery-count at every
    // return, whichever way it is returned (nack, reject, recover or channel close), and AMQP 0-9-1
    // has no way to read a message without taking it (docs/messaging.md, Dead letters).
    return this.#withChannel(`read dead letters of ${dlq}`, async (channel) => {
      const letters: BrokerDeadLetter[] = [];
      let last: Amqp.GetMessage | undefined;
      try {
        while (letters.length < limit) {
          const message = await channel.get(dlq, { noAck: false });
          if (message === false) break;
          last = message;
          letters.push(toDeadLetter(group, message));
        }
      } finally {
        if (last !== undefined) channel.nack(last, true, true);
      }
      return letters;
    });
  }

  async #withChannel<T>(what: string, work: (channel: Amqp.Channel) => Promise<T>): Promise<T> {
    if (this.#closed) throw new BrokerClosedError(what);
    const conn = await this.connection();
    const channel = await conn.createChannel();
    channel.on('error', () => {});
    try {
      return await work(channel);
    } catch (cause) {
      throw translate(cause, what);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  on<K extends keyof BrokerEvents>(event: K, listener: BrokerEventListener<K>): () => void {
    return this.emitter.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    this.#abort.abort(new BrokerClosedError('reconnect'));
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn !== undefined) await conn.close().catch(() => {});
  }
}

function sameFilters(a: GroupOptions, b: GroupOptions): boolean {
  const key = (o: GroupOptions) => JSON.stringify([o.categories ?? null, o.types ?? null]);
  return key(a) === key(b);
}
