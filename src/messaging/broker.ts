/**
 * The broker contract. Every adapter (RabbitMQ, NATS JetStream, Kafka, …) implements it and passes the
 * same conformance suite (`describeBrokerContract` in 'factum/testing'):
 *
 * 1. publish(events) resolves only after the broker confirmed every event (publisher confirms, PubAck,
 *    acks=all); a rejection means "maybe not stored": publish again, consumers deduplicate.
 * 2. The ordering key is the streamId: events of one stream reach a group's consumer in publish order.
 * 3. A group (queue, durable consumer, consumer group) gets every event published after it was declared;
 *    consumers of one group compete for its events; two groups each get all of them (fan-out).
 * 4. A message is acknowledged only after the handler resolved. A crash before that redelivers it.
 * 5. A handler failure is retried with backoff; after `maxDeliveries` attempts the message moves to the
 *    group's dead-letter destination with the error attached, and the rest keep flowing.
 * 6. A message that is not a Factum envelope, or fails `validate`, is dead-lettered at once with a reason.
 */
import type { StoredEvent } from '../core/envelope.js';

export interface PublishOptions {
  signal?: AbortSignal;
}

/** Backoff between in-process retries of a failing handler. */
export interface HandlerRetryOptions {
  /** Delay before the second attempt (ms, default 50). */
  initialDelayMs?: number;
  /** Cap of any one delay (ms, default 2,000). */
  maxDelayMs?: number;
  /** Multiplier per attempt (default 2). */
  factor?: number;
  /** Random spread 0–1 (default 0.2). */
  jitter?: number;
}

/** Which events a group receives. Omit both filters to receive everything. */
export interface GroupOptions {
  /** The durable name shared by competing consumers: a queue, a durable consumer, a consumer group. */
  group: string;
  /** Only streams of these categories ('order' for 'order-42'): a wildcard subscription per category. */
  categories?: readonly string[];
  /** Only these event types. */
  types?: readonly string[];
}

export interface ConsumeOptions extends GroupOptions {
  /** Attempts (handler calls and crashed deliveries) before a message is dead-lettered (default 5). */
  maxDeliveries?: number;
  retry?: HandlerRetryOptions;
  /** Unacknowledged messages a consumer may hold (default 20, in the 10–50 range). */
  prefetch?: number;
  /** Checks a decoded event before the handler; a throw dead-letters the message at once as invalid. */
  validate?: (event: StoredEvent) => void;
}

export interface DeliveryContext {
  readonly group: string;
  /** 1-based handler attempt for this delivery (in-process retries). */
  readonly attempt: number;
  /** How many times the broker has delivered this message, this delivery included (1 = first). */
  readonly deliveryCount: number;
  /** Aborts when the consumer stops. */
  readonly signal: AbortSignal;
}

export type MessageHandler = (event: StoredEvent, context: DeliveryContext) => Promise<void> | void;

export interface Consumer {
  readonly group: string;
  /** Stops taking messages, lets the message in hand finish (or be returned), and resolves. */
  stop(): Promise<void>;
}

/**
 * Why a message was dead-lettered: its handler kept failing ('handler-failed'), it is not a Factum
 * envelope or failed `validate` ('invalid-message'), or it was delivered too often without an
 * acknowledgement ('delivery-limit'). The one list of reasons: the type is derived from it.
 */
export const DEAD_LETTER_REASONS = ['handler-failed', 'invalid-message', 'delivery-limit'] as const;

export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export function isDeadLetterReason(value: unknown): value is DeadLetterReason {
  return (DEAD_LETTER_REASONS as readonly unknown[]).includes(value);
}

/** A message in a group's dead-letter destination, as `Broker.deadLetters` reads it. */
export interface BrokerDeadLetter {
  group: string;
  reason: DeadLetterReason;
  /** The last error's message (or why the message is invalid). */
  error: string;
  /** Handler attempts / deliveries made before giving up. */
  attempts: number;
  deadLetteredAt: Date;
  /** The event, when the message could be decoded. */
  event?: StoredEvent;
  /** The original message headers and body as text, for messages that could not be decoded. */
  headers: Record<string, string>;
  body: string;
}

export interface PartitionLag {
  /** A queue, a consumer's stream, or a Kafka partition. */
  partition: string;
  /** Messages the group has not yet acknowledged there. */
  lag: number;
}

export interface ConsumerLag {
  group: string;
  /** Sum over partitions. */
  lag: number;
  partitions: PartitionLag[];
}

export interface BrokerCapabilities {
  /**
   * Whether competing consumers of one group still see each stream's events in order (partitioned logs
   * such as Kafka). Queue brokers keep per-stream order for one consumer per group only.
   */
  orderedCompetingConsumers: boolean;
}

/** Instrumentation: typed, namespaced events; `on()` returns its unsubscribe function. */
export interface BrokerEvents {
  'broker.disconnected': { error?: Error };
  'broker.reconnected': { attempts: number };
  'consumer.retry': { group: string; eventId: string; attempt: number; error: Error };
  'consumer.dead-lettered': { group: string; eventId?: string; reason: DeadLetterReason; error: string };
}

export type BrokerEventListener<K extends keyof BrokerEvents> = (payload: BrokerEvents[K]) => void;

export interface Broker {
  /** 'rabbitmq', 'nats', 'kafka', … */
  readonly name: string;
  readonly capabilities: BrokerCapabilities;
  /**
   * Where `publish` sends an event (an exchange, a subject, a topic, a queue), as tracing names it
   * (`messaging.destination.name`); undefined when it goes to several (SQS without SNS). Optional:
   * without it, spans name no destination.
   */
  destinationOf?(event: StoredEvent): string | undefined;
  /**
   * The routing key `publish` gives an event, on brokers that route by one (RabbitMQ), as tracing
   * names it (`messaging.rabbitmq.destination.routing_key`). Optional.
   */
  routingKeyOf?(event: StoredEvent): string;
  /** Publishes in order with key = streamId; resolves once the broker confirmed every event. */
  publish(events: readonly StoredEvent[], options?: PublishOptions): Promise<void>;
  /** Creates the group's durable destination (idempotent): events published from now on are kept for it. */
  declareGroup(options: GroupOptions): Promise<void>;
  /** Declares the group and starts one consumer in it. */
  consume(options: ConsumeOptions, handler: MessageHandler): Promise<Consumer>;
  /** Messages of the group not yet acknowledged, per partition. */
  lag(group: string): Promise<ConsumerLag>;
  /** The group's dead letters, oldest first, without removing them. */
  deadLetters(group: string, options?: { limit?: number }): Promise<BrokerDeadLetter[]>;
  on<K extends keyof BrokerEvents>(event: K, listener: BrokerEventListener<K>): () => void;
  /** Stops every consumer and closes the connection. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_DELIVERIES = 5;
export const DEFAULT_PREFETCH = 20;
