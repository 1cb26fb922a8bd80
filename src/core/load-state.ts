import type { Decider, DomainEvent } from './decider.js';
import type { StoredEvent } from './envelope.js';
import { ErrorCodes, ValidationError } from './errors.js';
import type { SnapshotStore } from './snapshot.js';
import { snapshotsOf } from './snapshot.js';
import type { EventStore, StreamRead } from './store.js';

/** Reports a snapshot that could not be read or written; the operation itself went on without it. */
export type SnapshotErrorHandler = (
  error: unknown,
  context: { operation: 'load' | 'save'; streamId: string; name: string; version?: number },
) => void;

export interface LoadStateOptions {
  /** The state as it was at this instant: only events recorded at or before it. */
  until?: Date;
  /** The state as it was at this stream version. */
  toVersion?: number;
  /**
   * Where to look for a snapshot (default: the store's own, when it keeps them; `false`: never).
   * A snapshot is used when its schemaVersion is the decider's and it is not past `toVersion`;
   * `until` reads always replay from the first event.
   */
  snapshots?: SnapshotStore | false;
  /** Called when a snapshot cannot be read; the state is then rebuilt from the events. */
  onSnapshotError?: SnapshotErrorHandler;
}

export interface LoadedState<State> {
  state: State;
  /** The version the state includes (0: no events). */
  version: number;
  /** Whether the stream had any event in the requested range. */
  exists: boolean;
  /** Version of the snapshot the state started from (0: none). */
  snapshotVersion: number;
  /** Events folded on top of the initial state or snapshot. */
  eventsApplied: number;
}

/**
 * Rebuilds a decider's state for a stream: now, or as it was at a time (`until`) or at a version
 * (`toVersion`). Uses the latest snapshot when the decider has a snapshot policy and the store keeps
 * snapshots, then folds only the events after it.
 */
export async function loadState<Command, Event extends DomainEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  streamId: string,
  options: LoadStateOptions = {},
): Promise<LoadedState<State>> {
  const { until, toVersion } = options;
  if (until !== undefined && toVersion !== undefined) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'until',
      `loadState(${streamId}): give either until or toVersion, not both`,
    );
  }
  const snapshots = options.snapshots === false ? undefined : (options.snapshots ?? snapshotsOf(store));
  const policy = decider.snapshot;
  if (policy !== undefined && snapshots !== undefined && until === undefined && decider.name !== undefined) {
    const name = decider.name;
    let snapshot: Awaited<ReturnType<SnapshotStore['load']>>;
    try {
      snapshot = await snapshots.load(streamId, name);
    } catch (error) {
      options.onSnapshotError?.(error, { operation: 'load', streamId, name });
      snapshot = undefined;
    }
    if (
      snapshot !== undefined &&
      snapshot.schemaVersion === policy.schemaVersion &&
      (toVersion === undefined || snapshot.version <= toVersion)
    ) {
      let state: State | undefined;
      try {
        state = policy.fromSnapshot ? policy.fromSnapshot(snapshot.state) : (snapshot.state as State);
      } catch (error) {
        options.onSnapshotError?.(error, { operation: 'load', streamId, name, version: snapshot.version });
      }
      if (state !== undefined) {
        const read = await store.readStream(streamId, { fromVersion: snapshot.version + 1, toVersion });
        // A snapshot ahead of the stream belongs to another history (e.g. a restored database): ignore it.
        if (read.version >= snapshot.version) {
          return fold(decider, state, snapshot.version, read, snapshot.version);
        }
      }
    }
  }
  const read = await store.readStream(streamId, { toVersion, until });
  return fold(decider, decider.initialState(), 0, read, 0);
}

function fold<Event extends DomainEvent, State>(
  decider: Pick<Decider<never, Event, State>, 'evolve'>,
  initial: State,
  startVersion: number,
  read: StreamRead,
  snapshotVersion: number,
): LoadedState<State> {
  let state = initial;
  for (const event of read.events) state = decider.evolve(state, event as unknown as Event);
  const last = read.events.at(-1);
  const version = last?.version ?? startVersion;
  return { state, version, exists: version > 0, snapshotVersion, eventsApplied: read.events.length };
}

/** One line of a stream's history: when, what, who, and the data. */
export interface AuditEntry {
  when: Date;
  what: string;
  /** metadata.userId of the event. */
  who: string | undefined;
  data: unknown;
  version: number;
  eventId: string;
  correlationId: string | undefined;
  causationId: string | undefined;
}

/** The history of a stream, oldest first, optionally up to a time or a version. */
export async function auditTrail(
  store: EventStore,
  streamId: string,
  options: { until?: Date; toVersion?: number } = {},
): Promise<AuditEntry[]> {
  const { events } = await store.readStream(streamId, options);
  return events.map(toAuditEntry);
}

function toAuditEntry(event: StoredEvent): AuditEntry {
  return {
    when: event.timestamp,
    what: event.type,
    who: event.metadata.userId,
    data: event.data,
    version: event.version,
    eventId: event.id,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
  };
}
