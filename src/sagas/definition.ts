/**
 * Orchestrated sagas: what a definition is, and the rules it must keep. A saga is a sequence of local
 * transactions; every step that can be undone has a compensating action, and a step that cannot (a
 * pivot) is last or followed only by retriable steps, so nothing ever needs to undo it. The rule is
 * checked by TypeScript where a tuple of steps allows it, and by `defineSaga` always.
 */
import { parseDuration } from '../core/duration.js';
import type { EventMetadata, StoredEvent } from '../core/envelope.js';
import { ErrorCodes, InvalidSagaDefinitionError, ValidationError } from '../core/errors.js';
import { formatValue } from '../core/format.js';

/** A command a step sends: appended to the saga's own stream in the same append as its state. */
export interface SagaCommand<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  /** Extra metadata; correlationId, causationId and idempotencyKey are always set by the saga. */
  metadata?: EventMetadata;
}

/** What a step's action (or compensation) sees. Everything in it comes from the saga's own stream. */
export interface SagaContext<Start = any> {
  readonly saga: string;
  readonly correlationId: string;
  /** The event that started this instance. */
  readonly start: {
    readonly id: string;
    readonly type: string;
    readonly streamId: string;
    readonly data: Start;
  };
  /** The success reply of every step that has one so far, by step name. */
  readonly replies: Readonly<Record<string, { readonly type: string; readonly data: any }>>;
  /** The step being dispatched (or compensated), its attempt (1, 2, …) and its idempotency key. */
  readonly step: string;
  readonly attempt: number;
  /** The same for every attempt of this step (or of its compensation): services deduplicate on it. */
  readonly idempotencyKey: string;
  /** Why compensation runs (in compensations and onCompensated). */
  readonly failure?: SagaFailure;
}

export interface SagaFailure {
  /** The step that failed, or undefined when an operator or the deadline started compensation. */
  readonly step: string | undefined;
  readonly reason: 'failed' | 'timeout' | 'deadline' | 'operator';
  readonly reply?: { readonly type: string; readonly data: any };
}

export type SagaActionFn = (ctx: SagaContext) => SagaCommand | readonly SagaCommand[];

/** How a step (or compensation) is retried after a failure reply or a timeout. */
export interface StepRetry {
  /** Attempts in all, the first included (default 1 for a step, 5 for a compensation, 10 for a retriable step). */
  attempts?: number;
  /** Delay before the second attempt (ms or a duration, default 1 s), then times `factor` (2) up to `maxDelay` (1 min). */
  delay?: number | string;
  factor?: number;
  maxDelay?: number | string;
}

/** The replies a step waits for. Without `awaits`, a step succeeds as soon as its commands are sent. */
export interface StepAwaits {
  success: readonly string[];
  failure?: readonly string[];
  /** No reply within this long: a failed attempt whose outcome is unknown (ms or a duration). */
  timeout?: number | string;
}

export interface Compensation {
  action: SagaActionFn;
  awaits?: StepAwaits;
  retry?: StepRetry;
}

export interface SagaStep {
  name: string;
  action: SagaActionFn;
  awaits?: StepAwaits;
  retry?: StepRetry;
  /** How to undo the step: a function (sent and done) or an action awaiting its acknowledgement. */
  compensate?: SagaActionFn | Compensation;
  /**
   * The step never fails for good: failures and timeouts are retried (up to `retry.attempts`, default
   * 10), then the saga is parked for an operator, never compensated. Steps after a pivot must be so.
   */
  retriable?: boolean;
}

export interface SagaDefinitionInput<Steps extends readonly SagaStep[] = readonly SagaStep[]> {
  /** Lower-case words joined by '_': names the saga's streams (`saga_<name>-<correlationId>`). */
  name: string;
  /** A positive integer. Instances keep the version they started with; a new one starts new instances. */
  version: number;
  /** Event types that start an instance. */
  startedBy: readonly string[];
  /** The correlation id of any input event (starting event or reply); undefined: not this saga's. */
  correlate: (event: StoredEvent) => string | undefined;
  steps: Steps;
  /** The whole saga must complete within this long after it started, or it is compensated. */
  deadline?: number | string;
  /** Commands sent once every compensation was acknowledged (the reference's "cancel the order"). */
  onCompensated?: SagaActionFn;
  /** Commands sent when the last step succeeded. */
  onCompleted?: SagaActionFn;
}

/** A checked step: durations in ms, retry policies filled in. */
export interface CheckedStep {
  readonly name: string;
  readonly index: number;
  readonly action: SagaActionFn;
  readonly awaits: CheckedAwaits | undefined;
  readonly retry: CheckedRetry;
  readonly compensation: CheckedCompensation | undefined;
  readonly retriable: boolean;
}

export interface CheckedAwaits {
  readonly success: readonly string[];
  readonly failure: readonly string[];
  readonly timeoutMs: number | undefined;
}

export interface CheckedRetry {
  readonly attempts: number;
  readonly delayMs: number;
  readonly factor: number;
  readonly maxDelayMs: number;
}

export interface CheckedCompensation {
  readonly action: SagaActionFn;
  readonly awaits: CheckedAwaits | undefined;
  readonly retry: CheckedRetry;
}

/** A validated saga definition, as `defineSaga` returns it. */
export interface SagaDefinition {
  readonly kind: 'saga';
  readonly name: string;
  readonly version: number;
  readonly startedBy: readonly string[];
  readonly correlate: (event: StoredEvent) => string | undefined;
  readonly steps: readonly CheckedStep[];
  readonly deadlineMs: number | undefined;
  readonly onCompensated: SagaActionFn | undefined;
  readonly onCompleted: SagaActionFn | undefined;
  /** Every event type the saga reacts to: starting events and the replies of steps and compensations. */
  readonly inputTypes: readonly string[];
}

// ---- The pivot rule at the type level ------------------------------------------------------------

type AllRetriable<S extends readonly unknown[]> = S extends readonly [infer H, ...infer R]
  ? H extends { retriable: true }
    ? AllRetriable<R>
    : false
  : true;

/** Marks the first step that breaks the pivot rule, so the compiler points at it. */
export type CheckPivots<S extends readonly unknown[]> = S extends readonly [infer H, ...infer R]
  ? H extends { compensate: unknown }
    ? readonly [H, ...CheckPivots<R>]
    : AllRetriable<R> extends true
      ? readonly [H, ...CheckPivots<R>]
      : readonly [
          H & {
            compensate: 'A step without compensate (a pivot) must be last, or followed only by retriable steps';
          },
          ...R,
        ]
  : S;

/**
 * Defines an orchestrated saga. Throws InvalidSagaDefinitionError (FACTUM_INVALID_SAGA_DEFINITION)
 * naming the step that breaks a rule: a step without compensation that is neither last nor followed
 * only by retriable steps, two steps of one name, a step without an action, a bad duration.
 *
 * ```ts
 * const fulfilment = defineSaga({
 *   name: 'order_fulfilment', version: 1, startedBy: ['OrderPlaced'],
 *   correlate: (e) => (e.data as { orderId?: string }).orderId,
 *   steps: [
 *     { name: 'payment', action: charge, awaits: { success: ['PaymentSucceeded'], failure: ['PaymentFailed'] }, compensate: refund },
 *     { name: 'shipping', action: ship, awaits: { success: ['OrderShipped'] }, retriable: true },
 *   ],
 * });
 * ```
 */
export function defineSaga<const Steps extends readonly SagaStep[]>(
  input: SagaDefinitionInput<Steps> & { steps: CheckPivots<Steps> },
): SagaDefinition {
  return checkSagaDefinition(input as SagaDefinitionInput);
}

const NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const MAX_NAME_LENGTH = 60;

/** The checks of defineSaga; registration runs them again on whatever it is given. */
export function checkSagaDefinition(input: SagaDefinitionInput | SagaDefinition): SagaDefinition {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidSagaDefinitionError(formatValue(input), undefined, 'a definition must be an object');
  }
  if ((input as SagaDefinition).kind === 'saga' && Object.isFrozen(input)) return input as SagaDefinition;
  const raw = input as SagaDefinitionInput;
  const name = raw.name;
  if (typeof name !== 'string' || !NAME.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new InvalidSagaDefinitionError(
      formatValue(name),
      undefined,
      `the name must be lower-case words joined by '_', at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  const fail = (step: string | undefined, reason: string): never => {
    throw new InvalidSagaDefinitionError(name, step, reason);
  };
  if (!Number.isSafeInteger(raw.version) || raw.version < 1)
    fail(undefined, `version must be a positive integer, got ${formatValue(raw.version)}`);
  if (
    !Array.isArray(raw.startedBy) ||
    raw.startedBy.length === 0 ||
    raw.startedBy.some((t) => typeof t !== 'string' || t === '')
  ) {
    fail(undefined, 'startedBy must list at least one event type');
  }
  if (typeof raw.correlate !== 'function') fail(undefined, 'correlate must be a function of the event');
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) fail(undefined, 'a saga needs at least one step');
  const seen = new Set<string>();
  const steps = raw.steps.map((s, index): CheckedStep => {
    const stepName =
      typeof s?.name === 'string' && s.name !== '' ? s.name : fail(`#${index + 1}`, 'a step needs a name');
    if (seen.has(stepName)) fail(stepName, 'two steps have this name');
    seen.add(stepName);
    if (typeof s.action !== 'function')
      fail(stepName, 'a step needs an action (a function returning its commands)');
    const retriable = s.retriable === true;
    const compensation =
      s.compensate === undefined
        ? undefined
        : typeof s.compensate === 'function'
          ? { action: s.compensate, awaits: undefined, retry: checkRetry(name, stepName, undefined, 5) }
          : checkCompensation(name, stepName, s.compensate);
    return {
      name: stepName,
      index,
      action: s.action,
      awaits: s.awaits === undefined ? undefined : checkAwaits(name, stepName, s.awaits),
      retry: checkRetry(name, stepName, s.retry, retriable ? 10 : 1),
      compensation,
      retriable,
    };
  });
  for (const step of steps) {
    if (step.compensation !== undefined) continue;
    const after = steps.slice(step.index + 1);
    const blocking = after.find((s) => !s.retriable);
    if (blocking !== undefined) {
      fail(
        step.name,
        `it has no compensation (a pivot), so it must be last or followed only by retriable steps, but step ${blocking.name} after it is not retriable (give ${step.name} a compensate, or mark ${blocking.name} retriable: true)`,
      );
    }
  }
  const inputTypes = new Set<string>(raw.startedBy);
  for (const step of steps) {
    for (const t of [...(step.awaits?.success ?? []), ...(step.awaits?.failure ?? [])]) inputTypes.add(t);
    const c = step.compensation?.awaits;
    for (const t of [...(c?.success ?? []), ...(c?.failure ?? [])]) inputTypes.add(t);
  }
  for (const [field, fn] of [
    ['onCompensated', raw.onCompensated],
    ['onCompleted', raw.onCompleted],
  ] as const) {
    if (fn !== undefined && typeof fn !== 'function') fail(undefined, `${field} must be a function`);
  }
  return Object.freeze({
    kind: 'saga' as const,
    name,
    version: raw.version,
    startedBy: Object.freeze([...raw.startedBy]),
    correlate: raw.correlate,
    steps: Object.freeze(steps),
    deadlineMs:
      raw.deadline === undefined ? undefined : durationMs(name, undefined, 'deadline', raw.deadline),
    onCompensated: raw.onCompensated,
    onCompleted: raw.onCompleted,
    inputTypes: Object.freeze([...inputTypes]),
  });
}

function checkCompensation(saga: string, step: string, c: Compensation): CheckedCompensation {
  if (typeof c !== 'object' || c === null || typeof c.action !== 'function') {
    throw new InvalidSagaDefinitionError(
      saga,
      step,
      'compensate must be a function or { action, awaits?, retry? }',
    );
  }
  return {
    action: c.action,
    awaits: c.awaits === undefined ? undefined : checkAwaits(saga, step, c.awaits),
    retry: checkRetry(saga, step, c.retry, 5),
  };
}

function checkAwaits(saga: string, step: string, a: StepAwaits): CheckedAwaits {
  const list = (field: string, value: unknown): readonly string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((t) => typeof t !== 'string' || t === '')) {
      throw new InvalidSagaDefinitionError(saga, step, `awaits.${field} must be a list of event types`);
    }
    return Object.freeze([...value]);
  };
  const success = list('success', a?.success);
  if (success.length === 0)
    throw new InvalidSagaDefinitionError(saga, step, 'awaits.success must name at least one event type');
  return {
    success,
    failure: list('failure', a.failure),
    timeoutMs: a.timeout === undefined ? undefined : durationMs(saga, step, 'awaits.timeout', a.timeout),
  };
}

function checkRetry(saga: string, step: string, r: StepRetry | undefined, attempts: number): CheckedRetry {
  const checked = {
    attempts: r?.attempts ?? attempts,
    delayMs: r?.delay === undefined ? 1_000 : durationMs(saga, step, 'retry.delay', r.delay),
    factor: r?.factor ?? 2,
    maxDelayMs: r?.maxDelay === undefined ? 60_000 : durationMs(saga, step, 'retry.maxDelay', r.maxDelay),
  };
  if (!Number.isSafeInteger(checked.attempts) || checked.attempts < 1) {
    throw new InvalidSagaDefinitionError(
      saga,
      step,
      `retry.attempts must be a positive integer, got ${formatValue(checked.attempts)}`,
    );
  }
  if (typeof checked.factor !== 'number' || !(checked.factor >= 1)) {
    throw new InvalidSagaDefinitionError(
      saga,
      step,
      `retry.factor must be a number ≥ 1, got ${formatValue(checked.factor)}`,
    );
  }
  return checked;
}

function durationMs(saga: string, step: string | undefined, field: string, value: number | string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new InvalidSagaDefinitionError(
      saga,
      step,
      `${field} must be a duration, got ${formatValue(value)}`,
    );
  }
  try {
    return parseDuration(value, field);
  } catch (error) {
    throw new InvalidSagaDefinitionError(saga, step, (error as Error).message);
  }
}

/** The delay before attempt `attempt` (2, 3, …) of a retry policy. */
export function retryDelayMs(retry: CheckedRetry, attempt: number): number {
  return Math.min(retry.maxDelayMs, retry.delayMs * retry.factor ** Math.max(0, attempt - 2));
}

/** The stream of one saga instance: `saga_<name>-<correlationId>`. */
export function sagaStreamId(name: string, correlationId: string): string {
  return `${sagaCategory(name)}-${correlationId}`;
}

export function sagaCategory(name: string): string {
  return `saga_${name}`;
}

/** Checks a correlation id a caller passes (the CLI, operator calls). */
export function checkCorrelationId(value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'correlationId',
      `correlationId must be a non-empty string, got ${formatValue(value)}`,
    );
  }
}
