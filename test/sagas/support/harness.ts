import type { EventStore, NewEvent, StoredEvent } from 'factum';
import { createSagas, defineSaga, type SagaDefinition, type Sagas, type SagasOptions } from 'factum/sagas';

/** A store a saga test runs on, with how to open a second handle on the same database. */
export interface SagaTarget {
  store: EventStore;
  /** Another store object on the same database (another "process" in one test), or the same one. */
  reopen(): Promise<EventStore>;
  close(): Promise<void>;
}

export type OpenTarget = () => Promise<SagaTarget>;

/** A clock tests move by hand. */
export class Clock {
  now = Date.parse('2026-01-01T00:00:00Z');
  advance(ms: number): void {
    this.now += ms;
  }
  readonly read = () => this.now;
}

/** Appends one event and returns it as stored. */
export async function put(store: EventStore, streamId: string, event: NewEvent): Promise<StoredEvent> {
  await store.append(streamId, [event]);
  const { events } = await store.readStream(streamId, { direction: 'backward', limit: 1 });
  return events[0]!;
}

export async function sagaEvents(
  store: EventStore,
  name: string,
  correlationId: string,
): Promise<StoredEvent[]> {
  return (await store.readStream(`saga_${name}-${correlationId}`)).events;
}

export const types = (events: readonly StoredEvent[]) => events.map((e) => e.type);
export const commands = (events: readonly StoredEvent[]) =>
  events.filter((e) => e.metadata.messageKind === 'command');

export async function sagasOn(
  store: EventStore,
  sagas: readonly SagaDefinition[],
  clock?: Clock,
  extra: SagasOptions = {},
): Promise<Sagas> {
  return createSagas(store, {
    sagas,
    ...(clock === undefined ? {} : { now: clock.read }),
    lease: { strategy: 'row', ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 },
    timeoutPollMs: 20,
    ...extra,
  });
}

/**
 * A four-step saga whose every step awaits an answer, with compensations that await theirs: the
 * shape of the reference's flow, with event names that say what a test does with them.
 */
export function fourSteps(
  options: {
    version?: number;
    timeoutMs?: number;
    compensationAttempts?: number;
    stepTwoCommand?: string;
  } = {},
) {
  const step = (n: number, extra: Record<string, unknown> = {}) => ({
    name: `s${n}`,
    action: ({ start, attempt }: { start: { data: any }; attempt: number }) => ({
      type: n === 2 && options.stepTwoCommand !== undefined ? options.stepTwoCommand : `Do${n}`,
      data: { id: start.data.id, attempt },
    }),
    awaits: {
      success: [`Done${n}`],
      failure: [`Failed${n}`],
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    },
    compensate: {
      action: ({ start }: { start: { data: any } }) => ({ type: `Undo${n}`, data: { id: start.data.id } }),
      awaits: { success: [`Undone${n}`], failure: [`UndoFailed${n}`] },
      retry: { attempts: options.compensationAttempts ?? 2, delay: 100 },
    },
    ...extra,
  });
  return defineSaga({
    name: 'four',
    version: options.version ?? 1,
    startedBy: ['Begun'],
    correlate: (e) => (e.data as { id?: string }).id,
    steps: [step(1), step(2), step(3), step(4)],
    onCompensated: ({ start }) => ({ type: 'Cancel', data: { id: start.data.id } }),
  });
}
