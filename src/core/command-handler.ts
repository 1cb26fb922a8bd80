import type { Decider, DomainEvent } from './decider.js';
import { decidedEvents, foldEvents } from './decider.js';
import type { EventMetadata, NewEvent } from './envelope.js';
import { isConcurrencyError } from './errors.js';
import type { ExpectedVersion } from './expected-version.js';
import { assertExpectedVersion, checkExpectedVersion } from './expected-version.js';
import type { SnapshotErrorHandler } from './load-state.js';
import { loadState } from './load-state.js';
import type { RetryOptions } from './retry.js';
import { retry } from './retry.js';
import type { SnapshotStore } from './snapshot.js';
import { checkSnapshotPolicy, shouldSnapshot, snapshotsOf } from './snapshot.js';
import type { EventStore } from './store.js';

export interface CommandHandlerOptions {
  /**
   * Backoff for reload-and-retry after a ConcurrencyError (another writer appended between load and
   * append). Defaults: 10 retries, 2 ms doubling up to 200 ms, full jitter. `false`: never retry.
   * Only concurrency conflicts are retried: a command is decided again on fresh state, never re-sent.
   * When retries run out the call fails with a RetriesExhaustedError whose cause is the last conflict.
   */
  retry?: Omit<RetryOptions, 'isRetriable' | 'signal'> | false;
  /** Where snapshots live (default: the store's own when it keeps them; `false`: never use snapshots). */
  snapshots?: SnapshotStore | false;
  /** Metadata put on every event this handler appends (the call's metadata wins on conflicts). */
  metadata?: EventMetadata;
  /**
   * Called when a snapshot cannot be read or written. The command is not affected: a failed read
   * falls back to replaying all events, a failed write is only reported.
   */
  onSnapshotError?: SnapshotErrorHandler;
}

export interface HandleCommandOptions {
  /** correlationId, causationId, userId… copied onto every appended event. */
  metadata?: EventMetadata;
  /**
   * The version the caller saw (e.g. a form loaded at version 3). When the stream is elsewhere the
   * command fails with a ConcurrencyError that is not retried: the caller's view is stale.
   */
  expectedVersion?: ExpectedVersion;
  /** Stops retrying when aborted. */
  signal?: AbortSignal;
}

export interface CommandResult<Event, State> {
  /** The events decide returned (empty when it decided nothing; then nothing was written). */
  events: Event[];
  /** The state after those events. */
  state: State;
  /** The stream's version after the command: pass it as the next expectedVersion. */
  nextExpectedVersion: number;
  /** Global position of the last appended event; undefined when nothing was appended. */
  position: bigint | undefined;
}

export type CommandHandler<Command, Event, State> = (
  streamId: string,
  command: Command,
  options?: HandleCommandOptions,
) => Promise<CommandResult<Event, State>>;

const DEFAULT_COMMAND_RETRY = { retries: 10, initialDelayMs: 2, maxDelayMs: 200, factor: 2, jitter: 1 };

/**
 * Handles commands for one decider: loads the stream (from the latest snapshot when there is one),
 * decides, and appends the events with the loaded version as expected version. On a concurrency
 * conflict it reloads and decides again (bounded, jittered backoff). Errors thrown by `decide`
 * reach the caller unchanged and nothing is written. A snapshot is written after a successful append
 * that reaches the decider's policy; a snapshot failure never fails the command.
 */
export function commandHandler<Command, Event extends DomainEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  options: CommandHandlerOptions = {},
): CommandHandler<Command, Event, State> {
  checkSnapshotPolicy(decider);
  const policy = decider.snapshot;
  const snapshots = options.snapshots === false ? undefined : (options.snapshots ?? snapshotsOf(store));
  const retryOptions = options.retry === false ? undefined : { ...DEFAULT_COMMAND_RETRY, ...options.retry };
  const onSnapshotError = options.onSnapshotError;

  return async (streamId, command, call = {}) => {
    const { expectedVersion } = call;
    assertExpectedVersion(expectedVersion);
    const baseMetadata = { ...options.metadata, ...call.metadata };

    const attempt = async (): Promise<CommandResult<Event, State>> => {
      const loaded = await loadState(store, decider, streamId, {
        snapshots: snapshots ?? false,
        ...(onSnapshotError === undefined ? {} : { onSnapshotError }),
      });
      // The caller's view is stale: reloading would not help, so the conflict is not retried.
      checkExpectedVersion(streamId, expectedVersion, loaded.version, { retriable: false });
      const events = decidedEvents(decider.decide(command, loaded.state));
      if (events.length === 0) {
        return { events, state: loaded.state, nextExpectedVersion: loaded.version, position: undefined };
      }
      const result = await store.append(
        streamId,
        events.map((e) => toNewEvent(e, baseMetadata)),
        { expectedVersion: loaded.version },
      );
      const state = foldEvents(decider, loaded.state, events);
      if (policy !== undefined && snapshots !== undefined && decider.name !== undefined) {
        await saveSnapshot(snapshots, decider.name, streamId, state, result.nextExpectedVersion, {
          snapshotVersion: loaded.snapshotVersion,
          appended: events.length,
        });
      }
      return { events, state, nextExpectedVersion: result.nextExpectedVersion, position: result.position };
    };

    if (retryOptions === undefined) return attempt();
    return retry(attempt, {
      ...retryOptions,
      isRetriable: (error) => isConcurrencyError(error) && error.retriable,
      ...(call.signal === undefined ? {} : { signal: call.signal }),
    });
  };

  async function saveSnapshot(
    target: SnapshotStore,
    name: string,
    streamId: string,
    state: State,
    version: number,
    info: { snapshotVersion: number; appended: number },
  ): Promise<void> {
    const p = policy!;
    try {
      if (!shouldSnapshot(p, { streamId, state, version, ...info })) return;
      const data = p.toSnapshot ? p.toSnapshot(state) : state;
      await target.save({ streamId, name, version, schemaVersion: p.schemaVersion, state: data });
    } catch (error) {
      onSnapshotError?.(error, { operation: 'save', streamId, name, version });
    }
  }
}

function toNewEvent(event: DomainEvent, metadata: EventMetadata): NewEvent {
  const merged = event.metadata === undefined ? metadata : { ...metadata, ...event.metadata };
  const out: NewEvent = { type: event.type, data: event.data };
  if (Object.keys(merged).length > 0) out.metadata = merged;
  if (event.id !== undefined) out.id = event.id;
  const schemaVersion = (event as { schemaVersion?: unknown }).schemaVersion;
  if (typeof schemaVersion === 'number') out.schemaVersion = schemaVersion;
  return out;
}
