/**
 * The orchestrator's state machine, free of I/O: `evolve` folds a saga instance's stream into its
 * state, `decide` turns one input (an event, a due timeout, an operator request) into the events to
 * append. Both are deterministic: the same stream and input always give the same output, so a
 * redelivered input changes nothing, a replay re-runs no side effect (actions run only in `decide`),
 * and recorded streams can be checked against a newer definition.
 */
import type { StoredEvent } from '../core/envelope.js';
import type { TraceContext } from '../core/tracing.js';
import {
  type CheckedAwaits,
  type CheckedRetry,
  type CheckedStep,
  retryDelayMs,
  type SagaActionFn,
  type SagaCommand,
  type SagaContext,
  type SagaDefinition,
  type SagaFailure,
} from './definition.js';

/** The event types of a saga instance's own stream. */
export const SagaEvents = {
  Started: 'SagaStarted',
  StepDispatched: 'SagaStepDispatched',
  StepSucceeded: 'SagaStepSucceeded',
  StepFailed: 'SagaStepFailed',
  CompensationStarted: 'SagaCompensationStarted',
  CompensationDispatched: 'SagaCompensationDispatched',
  CompensationSucceeded: 'SagaCompensationSucceeded',
  CompensationFailed: 'SagaCompensationFailed',
  TimeoutScheduled: 'SagaTimeoutScheduled',
  TimeoutCancelled: 'SagaTimeoutCancelled',
  TimeoutFired: 'SagaTimeoutFired',
  InputDeferred: 'SagaInputDeferred',
  Parked: 'SagaParked',
  Resumed: 'SagaResumed',
  OperatorRequested: 'SagaOperatorRequested',
  OperatorActionRecorded: 'SagaOperatorActionRecorded',
  Completed: 'SagaCompleted',
  Compensated: 'SagaCompensated',
  Aborted: 'SagaAborted',
} as const;

export const SAGA_EVENT_TYPES: readonly string[] = Object.values(SagaEvents);
const SAGA_TYPES = new Set(SAGA_EVENT_TYPES);

export type SagaStatus =
  | 'new'
  | 'running'
  | 'compensating'
  | 'parked'
  | 'completed'
  | 'compensated'
  | 'aborted';
/** Every status an instance can have, as listed and filtered by operators. */
export const SAGA_STATUSES: readonly SagaStatus[] = [
  'new',
  'running',
  'compensating',
  'parked',
  'completed',
  'compensated',
  'aborted',
];
export const FINAL_STATUSES: ReadonlySet<SagaStatus> = new Set(['completed', 'compensated', 'aborted']);
export type Phase = 'action' | 'compensation';
export type OperatorAction = 'retry' | 'skip' | 'compensate' | 'abort';
export const OPERATOR_ACTIONS: readonly OperatorAction[] = ['retry', 'skip', 'compensate', 'abort'];

/** An input event as the saga keeps it (its start, a deferred reply, a reply). */
export interface InputRef {
  readonly id: string;
  readonly type: string;
  readonly streamId: string;
  readonly data: any;
}

export interface PendingTimeout {
  readonly token: string;
  readonly dueAt: number;
  readonly purpose: 'reply' | 'retry' | 'deadline';
  readonly phase?: Phase;
  readonly index?: number;
  /** The id of the event that scheduled it: the causation of what its firing appends. */
  readonly scheduledBy?: string;
}

export interface ParkInfo {
  readonly reason: string;
  readonly step: string | undefined;
  readonly phase: Phase;
  readonly error?: string;
  /** What the saga was doing before it was parked. */
  readonly from: 'running' | 'compensating';
}

/** One saga instance, folded from its stream. */
export interface SagaState {
  readonly saga: string;
  readonly correlationId: string;
  status: SagaStatus;
  /** The definition version the instance started with (0 while new). */
  version: number;
  start: InputRef | undefined;
  replies: Record<string, { type: string; data: any }>;
  /** The current step (forward) or the step being compensated. */
  index: number;
  phase: Phase;
  attempt: number;
  /** 'reply': waiting for the current step's reply; 'retry': waiting to dispatch it again; none. */
  waiting: 'reply' | 'retry' | undefined;
  succeeded: number[];
  /** Steps whose outcome is unknown (they timed out for good): compensated too. */
  unknown: number[];
  compensated: number[];
  failure: SagaFailure | undefined;
  timeouts: Map<string, PendingTimeout>;
  /** Ids of the inputs already applied (the causation ids of the stream's events). */
  handled: Set<string>;
  deferred: InputRef[];
  parked: ParkInfo | undefined;
  /** The stream's version: the expected version of the next append. */
  streamVersion: number;
  startedAt: Date | undefined;
  updatedAt: Date | undefined;
}

export function initialState(saga: string, correlationId: string): SagaState {
  return {
    saga,
    correlationId,
    status: 'new',
    version: 0,
    start: undefined,
    replies: {},
    index: 0,
    phase: 'action',
    attempt: 0,
    waiting: undefined,
    succeeded: [],
    unknown: [],
    compensated: [],
    failure: undefined,
    timeouts: new Map(),
    handled: new Set(),
    deferred: [],
    parked: undefined,
    streamVersion: 0,
    startedAt: undefined,
    updatedAt: undefined,
  };
}

/** Folds one event of the instance's stream into its state (commands it sent are skipped). */
export function evolve(
  state: SagaState,
  event: Pick<StoredEvent, 'type' | 'data' | 'metadata'> & {
    id?: string;
    version?: number;
    timestamp?: Date;
  },
): SagaState {
  const causation = event.metadata?.causationId;
  if (typeof causation === 'string') state.handled.add(causation);
  if (event.version !== undefined) state.streamVersion = event.version;
  if (event.timestamp !== undefined) state.updatedAt = event.timestamp;
  if (!SAGA_TYPES.has(event.type)) return state;
  const d = event.data as any;
  switch (event.type) {
    case SagaEvents.Started:
      state.status = 'running';
      state.version = d.version;
      state.start = d.start;
      state.startedAt = event.timestamp;
      state.deferred = state.deferred.filter((i) => i.id !== d.start.id);
      break;
    case SagaEvents.StepDispatched:
    case SagaEvents.CompensationDispatched:
      state.index = d.index;
      state.attempt = d.attempt;
      state.phase = event.type === SagaEvents.StepDispatched ? 'action' : 'compensation';
      state.waiting = d.awaits ? 'reply' : undefined;
      break;
    case SagaEvents.StepSucceeded:
      state.succeeded.push(d.index);
      if (d.reply !== undefined) {
        state.replies[d.step] = { type: d.reply.type, data: d.reply.data };
        state.deferred = state.deferred.filter((i) => i.id !== d.reply.id);
      }
      state.index = d.index + 1;
      state.attempt = 0;
      state.waiting = undefined;
      break;
    case SagaEvents.StepFailed:
    case SagaEvents.CompensationFailed:
      if (d.reply !== undefined) state.deferred = state.deferred.filter((i) => i.id !== d.reply.id);
      state.waiting = d.final ? undefined : 'retry';
      if (d.final && d.reason === 'timeout' && event.type === SagaEvents.StepFailed)
        state.unknown.push(d.index);
      break;
    case SagaEvents.CompensationStarted:
      state.status = 'compensating';
      state.phase = 'compensation';
      state.failure = d.failure;
      state.waiting = undefined;
      state.attempt = 0;
      if (d.unknown !== undefined && !state.unknown.includes(d.unknown)) state.unknown.push(d.unknown);
      break;
    case SagaEvents.CompensationSucceeded:
      state.compensated.push(d.index);
      if (d.reply !== undefined) state.deferred = state.deferred.filter((i) => i.id !== d.reply.id);
      state.attempt = 0;
      state.waiting = undefined;
      break;
    case SagaEvents.TimeoutScheduled:
      state.timeouts.set(d.token, {
        token: d.token,
        dueAt: Date.parse(d.dueAt),
        purpose: d.purpose,
        ...(d.phase === undefined ? {} : { phase: d.phase, index: d.index }),
        ...(event.id === undefined ? {} : { scheduledBy: event.id }),
      });
      break;
    case SagaEvents.TimeoutCancelled:
    case SagaEvents.TimeoutFired:
      state.timeouts.delete(d.token);
      break;
    case SagaEvents.InputDeferred:
      state.deferred.push(d.input);
      break;
    case SagaEvents.Parked:
      state.parked = {
        reason: d.reason,
        step: d.step,
        phase: d.phase,
        from: state.status === 'compensating' ? 'compensating' : 'running',
        ...(d.error === undefined ? {} : { error: d.error }),
      };
      state.status = 'parked';
      state.waiting = undefined;
      break;
    case SagaEvents.Resumed:
      state.status = state.parked?.from ?? 'running';
      state.parked = undefined;
      break;
    case SagaEvents.Completed:
      state.status = 'completed';
      state.waiting = undefined;
      break;
    case SagaEvents.Compensated:
      state.status = 'compensated';
      state.waiting = undefined;
      break;
    case SagaEvents.Aborted:
      state.status = 'aborted';
      state.waiting = undefined;
      state.parked = undefined;
      break;
  }
  return state;
}

/** What a decision appends: saga state events and, among them, the commands it sends. */
export interface Emitted {
  readonly type: string;
  readonly data: unknown;
  /** Set for a command: the step it belongs to and its idempotency key. */
  readonly command?: {
    readonly step: string;
    readonly key: string;
    readonly attempt: number;
    readonly metadata?: Record<string, unknown>;
  };
}

export type SagaInput =
  | { readonly kind: 'event'; readonly event: StoredEvent }
  | {
      readonly kind: 'timeout';
      readonly token: string;
      /** The trace context it was scheduled in (tracing only: the firing's span links to it). */
      readonly scheduledIn?: TraceContext | undefined;
    }
  | { readonly kind: 'park'; readonly reason: string; readonly error: string };

/** An action or compensation function threw (or returned no commands): the instance is parked. */
class SagaActionError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`step ${step} threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Decides what one input does to an instance. `state` is not modified; the returned events, folded
 * with `evolve`, give the state after the input. An empty list: nothing to do (a duplicate, a late
 * reply, a stale timeout).
 */
export function decide(
  definition: SagaDefinition,
  state: SagaState,
  input: SagaInput,
  now: number,
): Emitted[] {
  return new Decision(definition, cloneState(state), input, now).run();
}

export function cloneState(s: SagaState): SagaState {
  return {
    ...s,
    replies: { ...s.replies },
    succeeded: [...s.succeeded],
    unknown: [...s.unknown],
    compensated: [...s.compensated],
    timeouts: new Map(s.timeouts),
    handled: new Set(s.handled),
    deferred: [...s.deferred],
  };
}

export function inputRef(event: StoredEvent): InputRef {
  return { id: event.id, type: event.type, streamId: event.streamId, data: event.data };
}

export function idempotencyKey(
  state: Pick<SagaState, 'saga' | 'correlationId'>,
  step: string,
  phase: Phase,
): string {
  return `${state.saga}:${state.correlationId}:${step}:${phase === 'action' ? 'do' : 'undo'}`;
}

class Decision {
  readonly #out: Emitted[] = [];

  constructor(
    readonly def: SagaDefinition,
    readonly state: SagaState,
    readonly input: SagaInput,
    readonly now: number,
  ) {}

  run(): Emitted[] {
    try {
      this.apply();
    } catch (error) {
      if (!(error instanceof SagaActionError)) throw error;
      // An action is a function of the saga's state: it would throw again. Park the instance (the
      // events so far stay, so the operator's retry dispatches the step again).
      this.park('action-threw', error.message);
    }
    return this.#out;
  }

  apply(): void {
    const { state, input } = this;
    if (input.kind === 'park') {
      if (FINAL_STATUSES.has(state.status) || state.status === 'parked' || state.status === 'new') return;
      this.park(input.reason, input.error);
      return;
    }
    if (input.kind === 'timeout') {
      this.timeout(input.token);
      return;
    }
    const event = input.event;
    if (state.handled.has(event.id)) return;
    if (event.type === SagaEvents.OperatorRequested) {
      this.operator(event);
      return;
    }
    if (state.status === 'new') {
      if (this.def.startedBy.includes(event.type)) this.begin(event);
      else if (this.def.inputTypes.includes(event.type))
        this.emit(SagaEvents.InputDeferred, { input: inputRef(event) });
      return;
    }
    if (FINAL_STATUSES.has(state.status)) return;
    const step = this.current();
    const awaits = this.currentAwaits();
    const answers =
      step !== undefined && awaits !== undefined && state.waiting !== undefined && state.status !== 'parked';
    const forCurrent =
      awaits !== undefined && (awaits.success.includes(event.type) || awaits.failure.includes(event.type));
    if (answers && awaits.success.includes(event.type)) {
      this.succeeded(step, inputRef(event));
      this.advance();
    } else if (answers && state.waiting === 'reply' && awaits.failure.includes(event.type)) {
      this.failed(step, 'failed', inputRef(event));
    } else if ((state.status === 'parked' && forCurrent) || this.awaitedLater(event.type)) {
      // Early, or for a parked instance: kept, and used when the step it answers is dispatched.
      this.emit(SagaEvents.InputDeferred, { input: inputRef(event) });
    }
    return;
  }

  // ---- emitting ----------------------------------------------------------------------------------

  emit(type: string, data: Record<string, unknown>): void {
    this.#out.push({ type, data });
    evolve(this.state, { type, data, metadata: {} });
  }

  send(fn: SagaActionFn, step: string, phase: Phase, attempt: number, failure?: SagaFailure): void {
    const key = idempotencyKey(this.state, step, phase);
    const ctx: SagaContext = {
      saga: this.def.name,
      correlationId: this.state.correlationId,
      start: this.state.start!,
      replies: this.state.replies,
      step,
      attempt,
      idempotencyKey: key,
      ...(failure === undefined ? {} : { failure }),
    };
    let result: SagaCommand | readonly SagaCommand[];
    try {
      result = fn(ctx);
    } catch (error) {
      throw new SagaActionError(step, error);
    }
    const commands = Array.isArray(result) ? result : [result as SagaCommand];
    for (const c of commands) {
      if (typeof c?.type !== 'string' || c.type === '') {
        throw new SagaActionError(step, new Error('an action must return commands ({ type, data })'));
      }
      this.#out.push({
        type: c.type,
        data: c.data,
        command: { step, key, attempt, ...(c.metadata === undefined ? {} : { metadata: c.metadata }) },
      });
    }
  }

  schedule(
    token: string,
    delayMs: number,
    purpose: PendingTimeout['purpose'],
    phase?: Phase,
    index?: number,
  ): void {
    this.emit(SagaEvents.TimeoutScheduled, {
      token,
      dueAt: new Date(this.now + delayMs).toISOString(),
      purpose,
      ...(phase === undefined ? {} : { phase, index }),
    });
  }

  cancelTimeouts(filter: (t: PendingTimeout) => boolean = () => true): void {
    for (const t of [...this.state.timeouts.values()]) {
      if (filter(t)) this.emit(SagaEvents.TimeoutCancelled, { token: t.token });
    }
  }

  cancelStepTimeouts(): void {
    const { index, phase } = this.state;
    this.cancelTimeouts((t) => t.purpose !== 'deadline' && t.index === index && t.phase === phase);
  }

  // ---- where the instance is ---------------------------------------------------------------------

  current(): CheckedStep | undefined {
    return this.def.steps[this.state.index];
  }

  currentAwaits(): CheckedAwaits | undefined {
    const step = this.current();
    if (step === undefined) return undefined;
    return this.state.phase === 'action' ? step.awaits : step.compensation?.awaits;
  }

  currentRetry(step: CheckedStep): CheckedRetry {
    return this.state.phase === 'action' ? step.retry : step.compensation!.retry;
  }

  /** Whether a later step (or compensation) awaits this type: the reply came early; keep it. */
  awaitedLater(type: string): boolean {
    const { state, def } = this;
    const awaited = (a: CheckedAwaits | undefined) =>
      a !== undefined && (a.success.includes(type) || a.failure.includes(type));
    if (state.phase === 'action') {
      return (
        def.steps.some((s) => s.index > state.index && awaited(s.awaits)) ||
        def.steps.some((s) => s.index <= state.index && awaited(s.compensation?.awaits))
      );
    }
    return def.steps.some((s) => s.index < state.index && awaited(s.compensation?.awaits));
  }

  // ---- moving forward ----------------------------------------------------------------------------

  begin(event: StoredEvent): void {
    this.emit(SagaEvents.Started, {
      saga: this.def.name,
      version: this.def.version,
      correlationId: this.state.correlationId,
      start: inputRef(event),
    });
    if (this.def.deadlineMs !== undefined) this.schedule('deadline', this.def.deadlineMs, 'deadline');
    this.advance();
  }

  /** Runs the saga forward (or its compensation backward) until it waits for something or ends. */
  advance(): void {
    for (;;) {
      const { state } = this;
      if (state.status === 'compensating') {
        if (!this.nextCompensation()) return;
        continue;
      }
      const step = this.current();
      if (step === undefined) {
        this.cancelTimeouts();
        if (this.def.onCompleted !== undefined) this.send(this.def.onCompleted, 'completed', 'action', 1);
        this.emit(SagaEvents.Completed, {});
        return;
      }
      if (!this.dispatch(step, state.attempt + 1)) return;
    }
  }

  /** Sends the step's commands; true when it is done at once (nothing to await). */
  dispatch(step: CheckedStep, attempt: number): boolean {
    const phase = this.state.phase;
    const awaits = phase === 'action' ? step.awaits : step.compensation?.awaits;
    const key = idempotencyKey(this.state, step.name, phase);
    this.emit(phase === 'action' ? SagaEvents.StepDispatched : SagaEvents.CompensationDispatched, {
      step: step.name,
      index: step.index,
      attempt,
      key,
      awaits: awaits !== undefined,
    });
    if (phase === 'action') this.send(step.action, step.name, phase, attempt);
    else this.send(step.compensation!.action, step.name, phase, attempt, this.state.failure);
    if (awaits === undefined) {
      if (phase === 'action') this.succeeded(step, undefined);
      else this.compensationSucceeded(step, undefined);
      return true;
    }
    if (awaits.timeoutMs !== undefined) {
      this.schedule(`reply:${phase}:${step.index}:${attempt}`, awaits.timeoutMs, 'reply', phase, step.index);
    }
    // A reply that came before the step was dispatched (kept as deferred) answers it now.
    const early = this.state.deferred.find(
      (i) => awaits.success.includes(i.type) || awaits.failure.includes(i.type),
    );
    if (early !== undefined) {
      if (awaits.success.includes(early.type)) {
        if (phase === 'action') this.succeeded(step, early);
        else this.compensationSucceeded(step, early);
        return true;
      }
      this.failed(step, 'failed', early);
    }
    return false;
  }

  succeeded(step: CheckedStep, reply: InputRef | undefined, skipped = false): void {
    if (this.state.phase === 'compensation') {
      this.compensationSucceeded(step, reply, skipped);
      return;
    }
    this.cancelStepTimeouts();
    this.emit(SagaEvents.StepSucceeded, {
      step: step.name,
      index: step.index,
      ...(reply === undefined ? {} : { reply }),
      ...(skipped ? { skipped } : {}),
    });
  }

  compensationSucceeded(step: CheckedStep, reply: InputRef | undefined, skipped = false): void {
    this.cancelStepTimeouts();
    this.emit(SagaEvents.CompensationSucceeded, {
      step: step.name,
      index: step.index,
      ...(reply === undefined ? {} : { reply }),
      ...(skipped ? { skipped } : {}),
    });
  }

  /** A failure reply or a reply timeout of the current step (or compensation). */
  failed(step: CheckedStep, reason: 'failed' | 'timeout', reply: InputRef | undefined): void {
    const { state } = this;
    const phase = state.phase;
    const retry = this.currentRetry(step);
    const attempt = state.attempt;
    this.cancelStepTimeouts();
    const final = attempt >= retry.attempts;
    const type = phase === 'action' ? SagaEvents.StepFailed : SagaEvents.CompensationFailed;
    this.emit(type, {
      step: step.name,
      index: step.index,
      attempt,
      reason,
      final,
      ...(reply === undefined ? {} : { reply }),
    });
    if (!final) {
      this.schedule(
        `retry:${phase}:${step.index}:${attempt + 1}`,
        retryDelayMs(retry, attempt + 1),
        'retry',
        phase,
        step.index,
      );
      return;
    }
    if (phase === 'compensation') {
      this.park('compensation-failed', `compensation of ${step.name} failed ${attempt} times (${reason})`);
      return;
    }
    if (step.retriable) {
      this.park('retries-exhausted', `retriable step ${step.name} failed ${attempt} times (${reason})`);
      return;
    }
    this.compensate({
      step: step.name,
      reason,
      ...(reply === undefined ? {} : { reply: { type: reply.type, data: reply.data } }),
    });
  }

  // ---- compensating ------------------------------------------------------------------------------

  /** Whether compensation can start: no step without a compensation has succeeded (a pivot commits). */
  canCompensate(): boolean {
    return this.state.succeeded.every((i) => this.def.steps[i]?.compensation !== undefined);
  }

  compensate(failure: SagaFailure, unknownStep?: number): void {
    this.emit(SagaEvents.CompensationStarted, {
      failure,
      ...(unknownStep === undefined ? {} : { unknown: unknownStep }),
    });
    this.advance();
  }

  /** Dispatches the next compensation (in reverse order); false when waiting or finished. */
  nextCompensation(): boolean {
    const { state, def } = this;
    const todo = [...new Set([...state.succeeded, ...state.unknown])]
      .filter((i) => !state.compensated.includes(i) && def.steps[i]?.compensation !== undefined)
      .sort((a, b) => b - a);
    const next = todo[0];
    if (next === undefined) {
      this.cancelTimeouts();
      if (def.onCompensated !== undefined)
        this.send(def.onCompensated, 'compensated', 'compensation', 1, state.failure);
      this.emit(SagaEvents.Compensated, {});
      return false;
    }
    state.index = next;
    return this.dispatch(def.steps[next]!, state.attempt + 1);
  }

  // ---- timeouts ----------------------------------------------------------------------------------

  timeout(token: string): void {
    const { state } = this;
    const pending = state.timeouts.get(token);
    if (pending === undefined || FINAL_STATUSES.has(state.status)) return; // stale: ignored
    if (state.status === 'parked') return; // kept until the operator acts
    this.emit(SagaEvents.TimeoutFired, { token });
    if (pending.purpose === 'deadline') {
      if (state.status !== 'running' || !this.canCompensate()) return;
      const step = this.current();
      const unknownStep = step !== undefined && state.waiting !== undefined ? step.index : undefined;
      this.cancelStepTimeouts();
      this.compensate({ step: undefined, reason: 'deadline' }, unknownStep);
      return;
    }
    const step = this.def.steps[pending.index!];
    if (step === undefined || pending.index !== state.index || pending.phase !== state.phase) return;
    if (pending.purpose === 'retry') {
      if (!this.dispatch(step, state.attempt + 1)) return;
      this.advance();
      return;
    }
    this.failed(step, 'timeout', undefined);
  }

  // ---- parking and operators ---------------------------------------------------------------------

  park(reason: string, error: string): void {
    const step = this.current();
    this.emit(SagaEvents.Parked, { reason, step: step?.name, phase: this.state.phase, error });
  }

  operator(request: StoredEvent): void {
    const { state } = this;
    const r = request.data as { action: OperatorAction; actor: string; reason: string };
    const record = (applied: boolean, note?: string) =>
      this.emit(SagaEvents.OperatorActionRecorded, {
        requestId: request.id,
        action: r.action,
        actor: r.actor,
        reason: r.reason,
        applied,
        ...(note === undefined ? {} : { note }),
      });
    if (state.status === 'new' || FINAL_STATUSES.has(state.status)) {
      record(false, `the saga is ${state.status}`);
      return;
    }
    const step = this.current();
    switch (r.action) {
      case 'abort':
        record(true);
        this.cancelTimeouts();
        this.emit(SagaEvents.Aborted, { actor: r.actor, reason: r.reason });
        return;
      case 'retry':
        if (state.status !== 'parked' || step === undefined) {
          record(false, 'only a parked saga is retried');
          return;
        }
        record(true);
        this.emit(SagaEvents.Resumed, { actor: r.actor });
        if (this.dispatch(step, state.attempt + 1)) this.advance();
        return;
      case 'skip':
        if (step === undefined) {
          record(false, 'no step is pending');
          return;
        }
        record(true);
        if (state.status === 'parked') this.emit(SagaEvents.Resumed, { actor: r.actor });
        this.succeeded(step, undefined, true);
        this.advance();
        return;
      case 'compensate': {
        const inAction =
          state.status === 'running' || (state.status === 'parked' && state.parked?.from === 'running');
        if (!inAction) {
          record(false, 'the saga is already compensating');
          return;
        }
        if (!this.canCompensate()) {
          record(false, 'a step without compensation has succeeded: the saga can only go forward');
          return;
        }
        record(true);
        if (state.status === 'parked') this.emit(SagaEvents.Resumed, { actor: r.actor });
        const unknownStep = step !== undefined && state.attempt > 0 ? step.index : undefined;
        this.cancelStepTimeouts();
        this.compensate({ step: undefined, reason: 'operator' }, unknownStep);
        return;
      }
      default:
        record(false, `unknown action ${String(r.action)}`);
    }
  }
}

/** Folds a whole stream. */
export function foldSaga(saga: string, correlationId: string, events: readonly StoredEvent[]): SagaState {
  const state = initialState(saga, correlationId);
  for (const e of events) evolve(state, e);
  return state;
}
