/**
 * The delivery loop every broker implementation shares (the adapters in brokers/ and the SQLite
 * transport in messaging/): options with their defaults, and what to do with one delivered message.
 */
import type { Emitter } from '../core/emitter.js';
import type { StoredEvent } from '../core/envelope.js';
import { ErrorCodes, isFactumError, ValidationError } from '../core/errors.js';
import { retry } from '../core/retry.js';
import { errorTypeOf, tracingHook } from '../core/tracing.js';
import type {
  BrokerEvents,
  ConsumeOptions,
  DeadLetterReason,
  HandlerRetryOptions,
  MessageHandler,
} from './broker.js';
import { DEFAULT_MAX_DELIVERIES, DEFAULT_PREFETCH } from './broker.js';
import { processSpan } from './tracing.js';

export type Outcome =
  | { kind: 'ack' }
  | {
      kind: 'dead-letter';
      reason: DeadLetterReason;
      error: string;
      attempts: number;
      event?: StoredEvent;
      /** What the handler last threw, for handler failures. */
      cause?: unknown;
    }
  /** The consumer is stopping: leave the message unacknowledged so the broker redelivers it. */
  | { kind: 'abandon' };

/** The outcome that sends a message to its group's dead-letter destination. */
export type DeadLetterOutcome = Extract<Outcome, { kind: 'dead-letter' }>;

export interface ResolvedConsumeOptions {
  group: string;
  /** `messaging.system` of the broker, for tracing. */
  system: string;
  maxDeliveries: number;
  prefetch: number;
  retry: Required<HandlerRetryOptions>;
  validate: ((event: StoredEvent) => void) | undefined;
}

export function resolveConsumeOptions(options: ConsumeOptions, system: string): ResolvedConsumeOptions {
  const maxDeliveries = options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  const prefetch = options.prefetch ?? DEFAULT_PREFETCH;
  if (!Number.isSafeInteger(maxDeliveries) || maxDeliveries < 1) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'maxDeliveries',
      `maxDeliveries must be an integer >= 1, got ${String(maxDeliveries)}`,
    );
  }
  if (!Number.isSafeInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'prefetch',
      `prefetch must be an integer in 1–65535, got ${String(prefetch)}`,
    );
  }
  return {
    group: options.group,
    system,
    maxDeliveries,
    prefetch,
    retry: {
      initialDelayMs: options.retry?.initialDelayMs ?? 50,
      maxDelayMs: options.retry?.maxDelayMs ?? 2000,
      factor: options.retry?.factor ?? 2,
      jitter: options.retry?.jitter ?? 0.2,
    },
    validate: options.validate,
  };
}

export interface DeliveryInput {
  /** Decodes the message; throws InvalidMessageError when it is not a Factum envelope. */
  decode: () => StoredEvent;
  /** Broker deliveries of this message so far, this one included. */
  deliveryCount: number;
  /** Called before each retry, so brokers with an ack deadline can extend it. */
  keepAlive?: () => void;
  /** Where the message was consumed from (a queue, a subject, a topic), for tracing. */
  destination?: string;
  /** RabbitMQ: the routing key the message was published with, for tracing. */
  routingKey?: string;
}

/**
 * What to do with one delivered message: decode and validate it, give up at once on an invalid message
 * or one delivered too often (a consumer crash loop), otherwise run the handler with in-process retries
 * and backoff (which keeps the stream's order: later messages wait) until it succeeds or the attempts
 * across all deliveries reach maxDeliveries.
 */
export function runDelivery(
  input: DeliveryInput,
  options: ResolvedConsumeOptions,
  handler: MessageHandler,
  signal: AbortSignal,
  emitter: Emitter<BrokerEvents>,
): Promise<Outcome> {
  let event: StoredEvent;
  try {
    event = input.decode();
  } catch (error) {
    return Promise.resolve({
      kind: 'dead-letter',
      reason: 'invalid-message',
      error: errorMessage(error),
      attempts: 0,
    });
  }
  // Not an async function: with no tracer, the delivery's own promise is the only one made.
  if (tracingHook === undefined) return deliver(event, input, options, handler, signal, emitter);
  const request = processSpan(event, options.system, options.group, input);
  return tracingHook.inSpan(request, async (span) => {
    const outcome = await deliver(event, input, options, handler, signal, emitter);
    if (outcome.kind === 'dead-letter') {
      const type = outcome.reason === 'handler-failed' ? errorTypeOf(outcome.cause) : outcome.reason;
      span.fail(type, outcome.error);
    }
    return outcome;
  });
}

/** The delivery of a decoded message: validation, the delivery limit, the handler with its retries. */
async function deliver(
  event: StoredEvent,
  input: DeliveryInput,
  options: ResolvedConsumeOptions,
  handler: MessageHandler,
  signal: AbortSignal,
  emitter: Emitter<BrokerEvents>,
): Promise<Outcome> {
  try {
    options.validate?.(event);
  } catch (error) {
    return { kind: 'dead-letter', reason: 'invalid-message', error: errorMessage(error), attempts: 0, event };
  }
  const previous = input.deliveryCount - 1;
  if (previous >= options.maxDeliveries) {
    return {
      kind: 'dead-letter',
      reason: 'delivery-limit',
      error: `delivered ${previous} times without an acknowledgement (the consumer crashed or timed out each time)`,
      attempts: previous,
      event,
    };
  }
  const retries = options.maxDeliveries - input.deliveryCount;
  let attempts = 0;
  try {
    await retry(
      async (attempt) => {
        attempts = attempt;
        if (attempt > 1) input.keepAlive?.();
        try {
          await handler(event, {
            group: options.group,
            attempt,
            deliveryCount: input.deliveryCount,
            signal,
          });
        } catch (error) {
          if (attempt <= retries && !isInvalid(error) && !signal.aborted) {
            emitter.emit('consumer.retry', {
              group: options.group,
              eventId: event.id,
              attempt,
              error: error instanceof Error ? error : new Error(String(error)),
            });
          }
          throw error;
        }
      },
      { ...options.retry, retries, signal, isRetriable: (error) => !isInvalid(error) },
    );
    return { kind: 'ack' };
  } catch (error) {
    if (signal.aborted) return { kind: 'abandon' };
    if (isInvalid(error)) {
      return { kind: 'dead-letter', reason: 'invalid-message', error: errorMessage(error), attempts, event };
    }
    const last = isFactumError(error, ErrorCodes.RETRIES_EXHAUSTED) ? (error as Error).cause : error;
    return {
      kind: 'dead-letter',
      reason: 'handler-failed',
      error: errorMessage(last),
      attempts: previous + attempts,
      event,
      cause: last,
    };
  }
}

/** An error's message; any other thrown value as text. */
function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isInvalid(error: unknown): boolean {
  return isFactumError(error, ErrorCodes.INVALID_MESSAGE);
}
