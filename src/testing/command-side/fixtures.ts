import type { Decider } from '../../core/decider.js';
import type { EventStore } from '../../core/store.js';

/** The stores a command-side contract test gets: a fresh, empty store per test. */
export type CommandSideStoreFactory = () => EventStore | Promise<EventStore>;

export type TallyCommand =
  | { type: 'Add'; n: number }
  | { type: 'AddMany'; ns: number[] }
  | { type: 'Correct'; delta: number; reason: string }
  | { type: 'Noop' };

export type TallyEvent =
  | { type: 'Added'; data: { n: number; seq: number } }
  | { type: 'Corrected'; data: { delta: number; reason: string } };

export interface TallyState {
  total: number;
  count: number;
  corrections: number;
}

/** A domain error of the tally decider: the caller must get this very instance back. */
export class TallyRefused extends Error {
  constructor(readonly n: number) {
    super(`Cannot add ${n}: only positive numbers`);
    this.name = 'TallyRefused';
  }
}

/**
 * A small decider for the contract: Added events carry `seq` = how many were added before + 1, so a
 * decision taken on stale state shows up as a repeated seq.
 */
export function tallyDecider(
  options: { name?: string; every?: number; schemaVersion?: number; onEvolve?: () => void } = {},
): Decider<TallyCommand, TallyEvent, TallyState> {
  const decider: Decider<TallyCommand, TallyEvent, TallyState> = {
    name: options.name ?? 'tally',
    initialState: () => ({ total: 0, count: 0, corrections: 0 }),
    evolve: (state, event) => {
      options.onEvolve?.();
      switch (event.type) {
        case 'Added':
          return { ...state, total: state.total + event.data.n, count: state.count + 1 };
        case 'Corrected':
          return { ...state, total: state.total + event.data.delta, corrections: state.corrections + 1 };
        default:
          return state;
      }
    },
    decide: (command, state) => {
      switch (command.type) {
        case 'Add':
          if (command.n <= 0) throw new TallyRefused(command.n);
          return { type: 'Added', data: { n: command.n, seq: state.count + 1 } };
        case 'AddMany':
          return command.ns.map((n, i) => ({
            type: 'Added' as const,
            data: { n, seq: state.count + 1 + i },
          }));
        case 'Correct':
          return { type: 'Corrected', data: { delta: command.delta, reason: command.reason } };
        case 'Noop':
          return [];
      }
    },
  };
  if (options.every !== undefined) {
    decider.snapshot = { every: options.every, schemaVersion: options.schemaVersion ?? 1 };
  }
  return decider;
}

export async function rejection(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => {
      throw new Error('expected a rejection, but the call succeeded');
    },
    (error: unknown) => error,
  );
}

/** Wraps a store and records the options of every readStream call. */
export function recordingReads(store: EventStore): {
  store: EventStore;
  reads: { streamId: string; options: unknown }[];
} {
  const reads: { streamId: string; options: unknown }[] = [];
  const recorded: EventStore & { snapshots?: unknown } = {
    append: (s, e, o) => store.append(s, e, o),
    readStream: (s, o) => {
      reads.push({ streamId: s, options: o });
      return store.readStream(s, o);
    },
    readAll: (o) => store.readAll(o),
    subscribe: (o, h) => store.subscribe(o, h),
    close: () => store.close(),
  };
  const snapshots = (store as { snapshots?: unknown }).snapshots;
  if (snapshots !== undefined) recorded.snapshots = snapshots;
  return { store: recorded, reads };
}
