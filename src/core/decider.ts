import type { EventMetadata } from './envelope.js';

/**
 * An event as a decider sees it: a type and its data. Stored events have both (and more: id,
 * version, metadata…), so `evolve` works on what `decide` returns and on what the store reads back.
 * `evolve` should rely on `type` and `data` only.
 */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  /** Extra metadata for this event; the command handler adds the command's metadata to it. */
  metadata?: EventMetadata;
  /** Give an id (UUID) to make the append idempotent; a new UUIDv7 otherwise. */
  id?: string;
}

/** What a snapshot policy's `when` sees after a successful append. */
export interface SnapshotContext<State> {
  streamId: string;
  /** The state after the appended events. */
  state: State;
  /** The stream's version after the append. */
  version: number;
  /** Version of the snapshot the state was loaded from (0: none, or one that was ignored). */
  snapshotVersion: number;
  /** How many events this command appended. */
  appended: number;
}

interface SnapshotPolicyBase<State> {
  /**
   * Version of the snapshot's shape. Bump it when the state (or `evolve`) changes: snapshots with
   * another version are ignored and rebuilt lazily.
   */
  schemaVersion: number;
  /** Turns the state into JSON data (default: the state itself, which must then be JSON). */
  toSnapshot?: (state: State) => unknown;
  /** Turns stored snapshot data back into a state (default: the data itself). */
  fromSnapshot?: (data: unknown) => State;
}

export interface SnapshotEvery<State> extends SnapshotPolicyBase<State> {
  /** Take a snapshot once at least this many events were appended since the last one. */
  every: number;
}

export interface SnapshotWhen<State> extends SnapshotPolicyBase<State> {
  /** Take a snapshot after an append when this returns true. */
  when: (context: SnapshotContext<State>) => boolean;
}

export type SnapshotPolicy<State> = SnapshotEvery<State> | SnapshotWhen<State>;

/**
 * The aggregate as plain data: `decide` turns a command and the current state into new events (or
 * throws the domain's own error), `evolve` folds one event into the state, `initialState` is the
 * state of a stream with no events. `decide` and `evolve` are pure: no I/O, no clock, no randomness
 * (pass those in the command).
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  /** Names this decider's snapshots (one per stream and name). Required when `snapshot` is set. */
  name?: string;
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Event | readonly Event[];
  snapshot?: SnapshotPolicy<State>;
}

/** The decider's events as an array (decide may return one event or several). */
export function decidedEvents<Event>(decided: Event | readonly Event[]): Event[] {
  if (Array.isArray(decided)) return [...(decided as readonly Event[])];
  return decided === undefined || decided === null ? [] : [decided as Event];
}

/** Folds events into a state. */
export function foldEvents<Event extends DomainEvent, State>(
  decider: Pick<Decider<unknown, Event, State>, 'evolve'>,
  state: State,
  events: Iterable<Event>,
): State {
  let current = state;
  for (const event of events) current = decider.evolve(current, event);
  return current;
}
