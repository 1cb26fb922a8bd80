/**
 * Testing sagas without a store: given the events an instance has seen, when one more arrives (or
 * time passes), then these commands are sent. And a replay check for users' CI: recorded saga streams
 * are decided again by the current definition and any divergence is reported.
 */
import { expect } from 'vitest';
import { parseDuration } from '../core/duration.js';
import type { NewEvent, StoredEvent } from '../core/envelope.js';
import { checkSagaDefinition, type SagaDefinition, sagaStreamId } from '../sagas/definition.js';
import {
  decide,
  type Emitted,
  evolve,
  FINAL_STATUSES,
  foldSaga,
  SagaEvents,
  type SagaState,
} from '../sagas/engine.js';

export interface SentCommand {
  type: string;
  data: unknown;
}

export interface SagaThen {
  /** The commands sent by the `when` step, in order (type and data). */
  then(expected: SentCommand | readonly SentCommand[]): SagaThen;
  /** The saga event types the `when` step appended, in order (commands excluded). */
  thenEvents(expected: readonly string[]): SagaThen;
  /** The instance's status after the `when` step. */
  thenStatus(expected: SagaState['status']): SagaThen;
  /** Nothing was appended (a duplicate, a late reply, a stale timeout). */
  thenNothingHappened(): SagaThen;
  /** The state after the `when` step. */
  readonly state: SagaState;
  /** Everything appended to the instance's stream so far (given and when). */
  readonly stream: readonly StoredEvent[];
}

export interface SagaWhen {
  /** An event arrives. */
  when(event: NewEvent | StoredEvent): SagaThen;
  /** The clock moves on by `duration` (ms or '30s'): every timeout that falls due fires, soonest first. */
  whenTimePasses(duration: number | string): SagaThen;
}

export interface SagaSpec {
  /** Events the instance has already seen (the start event first), each applied in turn. */
  given(events?: readonly (NewEvent | StoredEvent)[]): SagaWhen;
}

export interface SagaSpecOptions {
  /** The clock at the first given event (default 2026-01-01T00:00:00Z). */
  startAt?: Date | number;
}

/**
 * Given/when/then for a saga definition, with a clock the spec controls:
 *
 * ```ts
 * sagaSpec(orderFulfilment)
 *   .given([placed, { type: 'PaymentSucceeded', data: { orderId: '42' } }])
 *   .when({ type: 'InsufficientStock', data: { orderId: '42' } })
 *   .then({ type: 'RefundPayment', data: { orderId: '42', amount: 100 } });
 * sagaSpec(orderFulfilment).given([placed]).whenTimePasses('31s').thenStatus('compensated');
 * ```
 */
export function sagaSpec(definition: SagaDefinition, options: SagaSpecOptions = {}): SagaSpec {
  const def = checkSagaDefinition(definition);
  return {
    given(events = []) {
      const run = new SpecRun(
        def,
        options.startAt === undefined ? Date.parse('2026-01-01T00:00:00Z') : +options.startAt,
      );
      for (const e of events) run.input(e);
      return {
        when: (event) => run.outcome(() => run.input(event)),
        whenTimePasses: (duration) =>
          run.outcome(() =>
            run.pass(typeof duration === 'number' ? duration : parseDuration(duration, 'duration')),
          ),
      };
    },
  };
}

class SpecRun {
  state: SagaState | undefined;
  readonly stream: StoredEvent[] = [];
  #seq = 0;

  constructor(
    readonly def: SagaDefinition,
    public now: number,
  ) {}

  stored(e: NewEvent | StoredEvent): StoredEvent {
    if ('position' in e && 'streamId' in e) return e;
    const n = ++this.#seq;
    return {
      id: e.id ?? `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      type: e.type,
      streamId: `input-${n}`,
      category: 'input',
      version: 1,
      position: BigInt(n),
      schemaVersion: e.schemaVersion ?? 1,
      timestamp: new Date(this.now),
      data: e.data,
      metadata: e.metadata ?? {},
    };
  }

  /** Applies one input; returns what it appended. */
  input(raw: NewEvent | StoredEvent): Emitted[] {
    const event = this.stored(raw);
    if (this.state === undefined) {
      const correlationId = this.def.correlate(event);
      if (correlationId === undefined)
        throw new Error(`saga ${this.def.name}: correlate() gave no correlation id for ${event.type}`);
      this.state = foldSaga(this.def.name, correlationId, []);
    }
    return this.append(decide(this.def, this.state, { kind: 'event', event }, this.now), event.id);
  }

  pass(ms: number): Emitted[] {
    const until = this.now + ms;
    const out: Emitted[] = [];
    for (;;) {
      const due = [...(this.state?.timeouts.values() ?? [])]
        .filter((t) => t.dueAt <= until)
        .sort((a, b) => a.dueAt - b.dueAt)[0];
      if (due === undefined || this.state === undefined) break;
      this.now = Math.max(this.now, due.dueAt);
      out.push(
        ...this.append(
          decide(this.def, this.state, { kind: 'timeout', token: due.token }, this.now),
          due.scheduledBy ?? due.token,
        ),
      );
      if (this.state.timeouts.has(due.token)) break; // parked: it stays
    }
    this.now = until;
    return out;
  }

  append(emitted: Emitted[], causationId: string): Emitted[] {
    const state = this.state!;
    const streamId = sagaStreamId(this.def.name, state.correlationId);
    for (const e of emitted) {
      const n = ++this.#seq;
      const stored: StoredEvent = {
        id: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
        type: e.type,
        streamId,
        category: streamId.slice(0, streamId.indexOf('-')),
        version: state.streamVersion + 1,
        position: BigInt(n),
        schemaVersion: 1,
        timestamp: new Date(this.now),
        data: e.data,
        metadata: {
          correlationId: state.correlationId,
          causationId,
          ...(e.command === undefined ? {} : { messageKind: 'command', idempotencyKey: e.command.key }),
        },
      };
      this.stream.push(stored);
      evolve(state, stored);
    }
    return emitted;
  }

  outcome(step: () => Emitted[]): SagaThen {
    const emitted = step();
    const sent = emitted.filter((e) => e.command !== undefined).map((e) => ({ type: e.type, data: e.data }));
    const own = emitted.filter((e) => e.command === undefined).map((e) => e.type);
    const run = this;
    const then: SagaThen = {
      // biome-ignore lint/suspicious/noThenProperty: given/when/then is the established vocabulary; do not await it.
      then(expected) {
        expect(sent).toEqual(Array.isArray(expected) ? expected : [expected]);
        return then;
      },
      thenEvents(expected) {
        expect(own).toEqual([...expected]);
        return then;
      },
      thenStatus(expected) {
        expect(run.state?.status ?? 'new').toBe(expected);
        return then;
      },
      thenNothingHappened() {
        expect(emitted.map((e) => e.type)).toEqual([]);
        return then;
      },
      get state() {
        return run.state!;
      },
      stream: run.stream,
    };
    return then;
  }
}

/** One place where a recorded stream and the current definition disagree. */
export interface SagaDivergence {
  streamId: string;
  /** Version of the first recorded event of the decision that diverged. */
  atVersion: number;
  input: string;
  recorded: string[];
  decided: string[];
}

/**
 * Decides every recorded input of saga instance streams again with the given definitions (the
 * version each instance started with) and reports where the output differs from what was recorded
 * (types and data; due times of timeouts are left out, the clock being the recorded one). Run it in
 * CI on streams exported from production before deploying a new definition.
 */
export function replaySagaStreams(
  definitions: readonly SagaDefinition[],
  streams: readonly (readonly StoredEvent[])[],
): SagaDivergence[] {
  const byVersion = new Map(definitions.map((d) => [`${d.name}@${d.version}`, checkSagaDefinition(d)]));
  const divergences: SagaDivergence[] = [];
  for (const events of streams) {
    const first = events[0];
    if (first === undefined) continue;
    const category = first.streamId.slice(0, first.streamId.indexOf('-'));
    const name = category.slice('saga_'.length);
    const correlationId = first.streamId.slice(category.length + 1);
    const started = events.find((e) => e.type === SagaEvents.Started);
    const def = byVersion.get(`${name}@${(started?.data as { version?: number } | undefined)?.version ?? 0}`);
    if (def === undefined) continue;
    const state = foldSaga(name, correlationId, []);
    for (let i = 0; i < events.length; ) {
      const head = events[i]!;
      if (head.type === SagaEvents.OperatorRequested) {
        evolve(state, head);
        i++;
        continue;
      }
      const cause = head.metadata.causationId as string;
      let j = i;
      while (
        j < events.length &&
        events[j]!.metadata.causationId === cause &&
        events[j]!.type !== SagaEvents.OperatorRequested
      )
        j++;
      const group = events.slice(i, j);
      const input = recoverInput(events, group, state, cause);
      if (input !== undefined) {
        const decided = decide(def, state, input, head.timestamp.getTime());
        const show = (e: { type: string; data: unknown }) =>
          `${e.type} ${JSON.stringify(withoutDueAt(e.data))}`;
        const recorded = group.map(show);
        const again = decided.map(show);
        if (JSON.stringify(recorded) !== JSON.stringify(again)) {
          divergences.push({
            streamId: head.streamId,
            atVersion: head.version,
            input: describeInput(input),
            recorded,
            decided: again,
          });
          break;
        }
      }
      for (const e of group) evolve(state, e);
      i = j;
    }
  }
  return divergences;
}

/** Fails the test (with every divergence) unless the recorded streams replay the same. */
export function expectSagaReplays(
  definitions: readonly SagaDefinition[],
  streams: readonly (readonly StoredEvent[])[],
): void {
  expect(replaySagaStreams(definitions, streams)).toEqual([]);
}

type ReplayInput = Parameters<typeof decide>[2];

function recoverInput(
  all: readonly StoredEvent[],
  group: readonly StoredEvent[],
  state: SagaState,
  cause: string,
): ReplayInput | undefined {
  for (const e of group) {
    const d = e.data as Record<string, any>;
    if (e.type === SagaEvents.TimeoutFired) return { kind: 'timeout', token: d.token };
    if (e.type === SagaEvents.Started && d.start?.id === cause)
      return { kind: 'event', event: asEvent(d.start, e) };
    if (e.type === SagaEvents.InputDeferred && d.input?.id === cause)
      return { kind: 'event', event: asEvent(d.input, e) };
    if (d.reply?.id === cause) return { kind: 'event', event: asEvent(d.reply, e) };
  }
  const request = all.find((e) => e.id === cause && e.type === SagaEvents.OperatorRequested);
  if (request !== undefined) return { kind: 'event', event: request };
  const parked = group.find((e) => e.type === SagaEvents.Parked);
  if (parked !== undefined && !FINAL_STATUSES.has(state.status)) {
    const d = parked.data as { reason: string; error: string };
    if (d.reason === 'version-unknown') return { kind: 'park', reason: d.reason, error: d.error };
  }
  return undefined;
}

function asEvent(
  ref: { id: string; type: string; streamId: string; data: unknown },
  at: StoredEvent,
): StoredEvent {
  return {
    ...at,
    id: ref.id,
    type: ref.type,
    streamId: ref.streamId,
    category: ref.streamId.split('-')[0]!,
    data: ref.data,
    metadata: {},
  };
}

function describeInput(input: ReplayInput): string {
  if (input.kind === 'event') return `${input.event.type} ${input.event.id}`;
  if (input.kind === 'timeout') return `timeout ${input.token}`;
  return `park ${input.reason}`;
}

function withoutDueAt(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !('dueAt' in data)) return data;
  const { dueAt: _, ...rest } = data as Record<string, unknown>;
  return rest;
}
