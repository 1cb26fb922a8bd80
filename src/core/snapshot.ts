import type { SnapshotContext, SnapshotPolicy } from './decider.js';
import { ErrorCodes, ValidationError } from './errors.js';
import { formatValue } from './format.js';
import type { EventStore } from './store.js';
import { assertStreamId, unstorableText } from './validation.js';

/**
 * Snapshots are a cache of a decider's state at a stream version: loading reads the latest snapshot
 * and only the events after it. Deleting a snapshot changes no result, only the time to load.
 */
export interface Snapshot {
  streamId: string;
  /** The decider's name: one snapshot per (stream, name). */
  name: string;
  /** Stream version the state includes. */
  version: number;
  /** The decider's snapshot schemaVersion when it was taken. */
  schemaVersion: number;
  /** The state as JSON data. */
  state: unknown;
  takenAt: Date;
}

export type NewSnapshot = Omit<Snapshot, 'takenAt'> & { takenAt?: Date };

/**
 * Where a store keeps snapshots. A store that keeps them exposes this as `store.snapshots`
 * (see SnapshotCapable); the memory and SQLite stores do.
 */
export interface SnapshotStore {
  load(streamId: string, name: string): Promise<Snapshot | undefined>;
  /**
   * Upserts the snapshot of (streamId, name). A snapshot older than the stored one (lower version,
   * same schemaVersion) is ignored, so concurrent writers never replace a newer snapshot.
   */
  save(snapshot: NewSnapshot): Promise<void>;
  /** Deletes the snapshot of one decider on the stream, or all of the stream's snapshots. */
  delete(streamId: string, name?: string): Promise<void>;
}

/** A store that keeps snapshots beside its events. */
export interface SnapshotCapable {
  readonly snapshots: SnapshotStore;
}

/** The store's snapshot store, when it keeps snapshots. */
export function snapshotsOf(store: EventStore): SnapshotStore | undefined {
  const candidate = (store as Partial<SnapshotCapable>).snapshots;
  if (candidate === undefined || candidate === null) return undefined;
  return typeof candidate.load === 'function' && typeof candidate.save === 'function' ? candidate : undefined;
}

/** A snapshot checked and serialised once, ready for a store to write. */
export interface PreparedSnapshot {
  streamId: string;
  name: string;
  version: number;
  schemaVersion: number;
  /** JSON text of the state. */
  state: string;
  /** Epoch milliseconds. */
  takenAt: number;
}

/** Checks a snapshot and serialises its state; throws ValidationError on bad input. */
export function prepareSnapshot(snapshot: NewSnapshot): PreparedSnapshot {
  assertStreamId(snapshot.streamId);
  assertSnapshotName(snapshot.name);
  for (const field of ['version', 'schemaVersion'] as const) {
    const value = snapshot[field];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        field,
        `Snapshot of ${snapshot.streamId} (${snapshot.name}): ${field} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  let state: string | undefined;
  try {
    state = JSON.stringify(snapshot.state);
  } catch (cause) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'state',
      `Snapshot of ${snapshot.streamId} (${snapshot.name}): state is not JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (state === undefined) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'state',
      `Snapshot of ${snapshot.streamId} (${snapshot.name}): state is not JSON`,
    );
  }
  const takenAt = (snapshot.takenAt ?? new Date()).getTime();
  return {
    streamId: snapshot.streamId,
    name: snapshot.name,
    version: snapshot.version,
    schemaVersion: snapshot.schemaVersion,
    state,
    takenAt,
  };
}

export function assertSnapshotName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'name',
      `Snapshot name must be a non-empty string of at most 255 characters, got ${formatValue(name)}`,
    );
  }
  const unstorable = unstorableText(name);
  if (unstorable !== undefined) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'name',
      `Snapshot name ${formatValue(name)}: ${unstorable}`,
    );
  }
}

/** Whether a policy asks for a snapshot after an append. */
export function shouldSnapshot<State>(
  policy: SnapshotPolicy<State>,
  context: SnapshotContext<State>,
): boolean {
  if ('every' in policy) return context.version - context.snapshotVersion >= policy.every;
  return policy.when(context);
}

/** Checks a decider's snapshot policy once, when a handler is made. */
export function checkSnapshotPolicy<State>(decider: {
  name?: string | undefined;
  snapshot?: SnapshotPolicy<State> | undefined;
}): void {
  const policy = decider.snapshot;
  if (policy === undefined) return;
  const where = `decider ${decider.name ?? '(unnamed)'}`;
  if (decider.name === undefined) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'name',
      'A decider with a snapshot policy needs a name (its snapshots are stored per stream and name)',
    );
  }
  assertSnapshotName(decider.name);
  if (!Number.isSafeInteger(policy.schemaVersion) || policy.schemaVersion < 1) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'snapshot.schemaVersion',
      `${where}: snapshot.schemaVersion must be a positive integer, got ${String(policy.schemaVersion)}`,
    );
  }
  if ('every' in policy) {
    if (!Number.isSafeInteger(policy.every) || policy.every < 1) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'snapshot.every',
        `${where}: snapshot.every must be a positive integer, got ${String(policy.every)}`,
      );
    }
  } else if (typeof (policy as { when?: unknown }).when !== 'function') {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'snapshot',
      `${where}: a snapshot policy needs 'every' (a number of events) or 'when' (a function)`,
    );
  }
}
