/**
 * Choreography: a reactor handles events of the log and appends events (or sends commands) in
 * answer. What it appends carries the triggering event's correlation id and has the triggering
 * event as its causation; its ids are derived from the reactor, the trigger and the position of the
 * append in the handler, so handling the same event again (a redelivery after a crash between the
 * appends and the checkpoint) appends nothing twice.
 */
import type { EventMetadata, NewEvent, StoredEvent } from '../core/envelope.js';
import { ErrorCodes, isFactumError, ValidationError } from '../core/errors.js';
import { formatValue } from '../core/format.js';
import type { AppendOptions, AppendResult, EventStore } from '../core/store.js';
import { tracingHook } from '../core/tracing.js';
import { derivedEventId } from './ids.js';
import { reactorSpan } from './tracing.js';

export interface ReactorContext {
  /** The event being handled. */
  readonly event: StoredEvent;
  /** The flow it belongs to: its correlationId, or its own id when it starts one. */
  readonly correlationId: string;
  /**
   * Appends events to a stream once the handler resolved (in call order). correlationId and
   * causationId are filled in; ids are derived, so a redelivery appends nothing twice.
   */
  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): void;
  /** Reads a stream's events (committed state, for the decision). */
  read(streamId: string): Promise<StoredEvent[]>;
  /** Sends a command: appended to `streamId` like `append`, marked `messageKind: 'command'`. */
  send(streamId: string, command: { type: string; data: unknown; metadata?: EventMetadata }): void;
}

export interface ReactorDefinitionInput {
  /** Lower-case words joined by '_': names its lease, checkpoint and dead-letter stream. */
  name: string;
  /** The event types it handles. */
  on: readonly string[];
  handle(event: StoredEvent, ctx: ReactorContext): Promise<void> | void;
  /** Handler attempts before an event is dead-lettered (default 5). */
  attempts?: number;
}

export interface Reactor {
  readonly kind: 'reactor';
  readonly name: string;
  readonly on: readonly string[];
  readonly attempts: number;
  readonly handle: ReactorDefinitionInput['handle'];
}

const NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Defines a reactor. */
export function reactor(input: ReactorDefinitionInput): Reactor {
  if (typeof input?.name !== 'string' || !NAME.test(input.name)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'name',
      `a reactor name must be lower-case words joined by '_', got ${formatValue(input?.name)}`,
    );
  }
  if (
    !Array.isArray(input.on) ||
    input.on.length === 0 ||
    input.on.some((t) => typeof t !== 'string' || t === '')
  ) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'on',
      `reactor ${input.name}: on must list at least one event type`,
    );
  }
  if (typeof input.handle !== 'function') {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'handle',
      `reactor ${input.name}: handle must be a function`,
    );
  }
  const attempts = input.attempts ?? 5;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'attempts',
      `reactor ${input.name}: attempts must be a positive integer`,
    );
  }
  return Object.freeze({
    kind: 'reactor' as const,
    name: input.name,
    on: Object.freeze([...input.on]),
    attempts,
    handle: input.handle,
  });
}

/** The stream a reactor dead-letters to: `reactor_dead_letters-<name>`. */
export function reactorDeadLetterStream(name: string): string {
  return `reactor_dead_letters-${name}`;
}

export function correlationOf(event: StoredEvent): string {
  const c = event.metadata?.correlationId;
  return typeof c === 'string' && c !== '' ? c : event.id;
}

interface PlannedAppend {
  streamId: string;
  events: NewEvent[];
  options: AppendOptions | undefined;
}

/**
 * Runs the reactor's handler for one event and appends what it asked for. Returns the appends'
 * results (undefined for one that was already there: a redelivery).
 */
export function react(
  store: EventStore,
  r: Reactor,
  event: StoredEvent,
): Promise<(AppendResult | undefined)[]> {
  if (tracingHook === undefined) return reactTo(store, r, event);
  return tracingHook.inSpan(reactorSpan(tracingHook, r.name, event, correlationOf(event)), () =>
    reactTo(store, r, event),
  );
}

async function reactTo(
  store: EventStore,
  r: Reactor,
  event: StoredEvent,
): Promise<(AppendResult | undefined)[]> {
  const planned: PlannedAppend[] = [];
  const correlationId = correlationOf(event);
  const metadataFor = (extra?: EventMetadata): EventMetadata => ({
    ...extra,
    correlationId,
    causationId: event.id,
  });
  const ctx: ReactorContext = {
    event,
    correlationId,
    read: async (streamId) => (await store.readStream(streamId)).events,
    append(streamId, events, options) {
      planned.push({
        streamId,
        events: events.map((e) => ({ ...e, metadata: metadataFor(e.metadata) })),
        options,
      });
    },
    send(streamId, command) {
      planned.push({
        streamId,
        events: [
          {
            type: command.type,
            data: command.data,
            metadata: metadataFor({ ...command.metadata, messageKind: 'command' }),
          },
        ],
        options: undefined,
      });
    },
  };
  await r.handle(event, ctx);
  const results: (AppendResult | undefined)[] = [];
  for (let a = 0; a < planned.length; a++) {
    const p = planned[a]!;
    const events = p.events.map((e, i) => ({ ...e, id: derivedEventId('reactor', r.name, event.id, a, i) }));
    try {
      results.push(await store.append(p.streamId, events, p.options));
    } catch (error) {
      // Already appended by an earlier delivery of this event (the ids are derived from it).
      if (isFactumError(error, ErrorCodes.DUPLICATE_EVENT_ID)) results.push(undefined);
      else throw error;
    }
  }
  return results;
}
