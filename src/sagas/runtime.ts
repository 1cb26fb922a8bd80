/**
 * Running sagas and reactors on a store: each saga name and each reactor is a follower of the log
 * with one active instance (a lease and a checkpoint of the follow kit); the timeout scheduler is a
 * follower of the saga index; operator actions are requests appended to the saga's stream. Every
 * input goes through `decide` and one append with optimistic concurrency on the instance's stream,
 * whoever delivers it (the runner, a broker consumer calling `handle`, the scheduler, an operator),
 * so concurrent deliveries of one saga serialise on its stream version.
 */

import { Emitter } from '../core/emitter.js';
import type { NewEvent, StoredEvent } from '../core/envelope.js';
import { ErrorCodes, InvalidSagaDefinitionError, isFactumError, SagaNotFoundError } from '../core/errors.js';
import { sleep as pause } from '../core/retry.js';
import type { EventStore } from '../core/store.js';
import { creationContext, tracingHook } from '../core/tracing.js';
import {
  checkLeaseOptions,
  type FollowStorage,
  follow,
  followStorageOf,
  type LeaseOptions,
  loadCheckpoint,
  logSource,
  newOwnerId,
  runWhileLeader,
} from '../follow/index.js';
import { Waker } from '../follow/kit.js';
import {
  createProjections,
  type DocumentReader,
  memoryProjectionStorage,
  type ProjectionStorage,
  type Projections,
  projectionStorageFor,
  readDocuments,
} from '../projections/index.js';
import {
  checkCorrelationId,
  checkSagaDefinition,
  type SagaDefinition,
  sagaCategory,
  sagaStreamId,
} from './definition.js';
import {
  decide,
  type Emitted,
  evolve,
  FINAL_STATUSES,
  foldSaga,
  type OperatorAction,
  SagaEvents,
  type SagaInput,
  type SagaState,
} from './engine.js';
import { derivedEventId } from './ids.js';
import {
  INSTANCES,
  type SagaSummary,
  sagaIndexProjection,
  sagaOfStream,
  TIMEOUTS,
  type TimeoutDoc,
  timeoutDocId,
} from './index-projection.js';
import { inLanes } from './lanes.js';
import { type OperatorOutcome, type OperatorRequest, readOutcome, requestSagaAction } from './operator.js';
import { type Reactor, react, reactorDeadLetterStream } from './reactor.js';
import { sagaSpan } from './tracing.js';

export interface SagasOptions {
  /** Saga definitions; several versions of one name may be given (new instances start on the highest). */
  sagas?: readonly SagaDefinition[];
  reactors?: readonly Reactor[];
  /** Where the saga index lives (default: the store's own database, or process memory for the memory store). */
  storage?: ProjectionStorage;
  /** The single-active lease of each runner (as for projections: 'advisory' on PostgreSQL by default). */
  lease?: LeaseOptions;
  owner?: string;
  /** The clock timeouts are scheduled by (ms since the epoch; default Date.now). */
  now?: () => number;
  /** Saga instances (or reactor streams) handled side by side within a page (default 64). */
  concurrency?: number;
  /** Events per page (default 500). */
  pageSize?: number;
  /** How often the scheduler looks for due timeouts (ms, default 100). */
  timeoutPollMs?: number;
}

export type HandleOutcome = 'applied' | 'ignored' | 'duplicate';

export interface SagaEventsMap {
  error: { component: string; error: unknown };
  applied: {
    saga: string;
    correlationId: string;
    input: string;
    events: number;
    status: SagaState['status'];
  };
  parked: { saga: string; correlationId: string; reason: string };
  'timeout-fired': { saga: string; correlationId: string; token: string; dueAt: number; firedAt: number };
  'dead-lettered': { reactor: string; eventId: string; error: unknown };
}

export interface SagaQuery {
  name?: string;
  state?: SagaState['status'];
  correlationId?: string;
  /** At most this many, most recently changed first (default 100). */
  limit?: number;
}

/** One instance as `get` reads it from its stream. */
export interface SagaInstance {
  saga: string;
  correlationId: string;
  streamId: string;
  version: number;
  status: SagaState['status'];
  /** The pending step and what it waits for. */
  step: string | undefined;
  phase: 'action' | 'compensation';
  attempt: number;
  waiting: 'reply' | 'retry' | undefined;
  succeeded: string[];
  compensated: string[];
  timeouts: { token: string; dueAt: Date; purpose: string }[];
  parked: SagaState['parked'];
  failure: SagaState['failure'];
  events: StoredEvent[];
}

export interface Sagas {
  /** The saga index (a projection): its status, waitFor, documents. */
  readonly index: Projections;
  start(): void;
  stop(): Promise<void>;
  /** Applies one input event to every registered saga that reacts to it (what the runners do). */
  handle(event: StoredEvent): Promise<HandleOutcome[]>;
  /** Fires a due timeout of one instance: applied once, or ignored when stale. */
  fireTimeout(streamId: string, token: string): Promise<HandleOutcome>;
  /** Instances from the index, by name, status or correlation id (newest first, at most `limit`, default 100). */
  status(query?: SagaQuery): Promise<SagaSummary[]>;
  /** How many instances the index holds, by name and state (limit ignored). */
  count(query?: Omit<SagaQuery, 'limit'>): Promise<number>;
  /** The saga names registered here. */
  readonly names: readonly string[];
  /** One instance, read from its stream (authoritative); undefined when it does not exist. */
  get(name: string, correlationId: string): Promise<SagaInstance | undefined>;
  retry(name: string, correlationId: string, by: OperatorRequest): Promise<OperatorOutcome>;
  skip(name: string, correlationId: string, by: OperatorRequest): Promise<OperatorOutcome>;
  compensate(name: string, correlationId: string, by: OperatorRequest): Promise<OperatorOutcome>;
  abort(name: string, correlationId: string, by: OperatorRequest): Promise<OperatorOutcome>;
  on<K extends keyof SagaEventsMap>(event: K, listener: (payload: SagaEventsMap[K]) => void): () => void;
}

/** Lease and checkpoint names of the followers. */
export const sagaRunnerName = (name: string) => `saga:${name}`;
export const reactorRunnerName = (name: string) => `reactor:${name}`;
export const TIMEOUT_SCHEDULER = 'saga-timeouts';

const MAX_CACHED = 10_000;
const MAX_LOCAL_TIMEOUTS = 100_000;

/**
 * Registers sagas and reactors on a store. `start()` runs their followers (and the index and the
 * timeout scheduler); `handle` applies an input directly (a broker consumer, a test).
 */
export async function createSagas(store: EventStore, options: SagasOptions = {}): Promise<Sagas> {
  const runtime = new SagaRuntime(store, options);
  await runtime.init();
  return runtime;
}

class SagaRuntime implements Sagas {
  readonly #store: EventStore;
  readonly #options: SagasOptions;
  readonly #versions = new Map<string, Map<number, SagaDefinition>>();
  readonly #latest = new Map<string, SagaDefinition>();
  readonly #reactors: readonly Reactor[];
  readonly #follow: FollowStorage;
  readonly #emitter = new Emitter<SagaEventsMap>();
  readonly #now: () => number;
  readonly #owner: string;
  /** Instance states this process appended last (a stale one fails its append and is read again). */
  readonly #cache = new Map<string, SagaState>();
  #index!: Projections;
  readonly #localTimeouts = new Map<string, TimeoutDoc>();
  readonly #timeoutWaker = new Waker();
  #abort: AbortController | undefined;
  #running: Promise<void>[] = [];

  constructor(store: EventStore, options: SagasOptions) {
    this.#store = store;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#owner = options.owner ?? newOwnerId();
    for (const raw of options.sagas ?? []) {
      const d = checkSagaDefinition(raw);
      const versions = this.#versions.get(d.name) ?? new Map<number, SagaDefinition>();
      if (versions.has(d.version)) {
        throw new InvalidSagaDefinitionError(d.name, undefined, `version ${d.version} is registered twice`);
      }
      versions.set(d.version, d);
      this.#versions.set(d.name, versions);
      const latest = this.#latest.get(d.name);
      if (latest === undefined || latest.version < d.version) this.#latest.set(d.name, d);
    }
    this.#reactors = options.reactors ?? [];
    this.#follow = followStorageOf(store);
  }

  get index(): Projections {
    return this.#index;
  }

  async init(): Promise<void> {
    let storage = this.#options.storage;
    if (storage === undefined) {
      storage =
        this.#follow.dialect === 'memory'
          ? memoryProjectionStorage(this.#store)
          : projectionStorageFor(this.#store as never);
    }
    this.#index = await createProjections(this.#store, {
      async: [sagaIndexProjection],
      storage,
      owner: this.#owner,
      ...(this.#options.lease === undefined ? {} : { lease: this.#options.lease }),
    });
  }

  on<K extends keyof SagaEventsMap>(event: K, listener: (payload: SagaEventsMap[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  // ---- applying inputs ---------------------------------------------------------------------------

  async handle(event: StoredEvent): Promise<HandleOutcome[]> {
    const outcomes: HandleOutcome[] = [];
    for (const def of this.#latest.values()) {
      if (this.#reactsTo(def.name, event)) outcomes.push(await this.#handleFor(def.name, event));
    }
    return outcomes;
  }

  #reactsTo(name: string, event: StoredEvent): boolean {
    if (event.type === SagaEvents.OperatorRequested) return event.category === sagaCategory(name);
    for (const d of this.#versions.get(name)!.values()) if (d.inputTypes.includes(event.type)) return true;
    return false;
  }

  #handleFor(name: string, event: StoredEvent): Promise<HandleOutcome> {
    let correlationId: string | undefined;
    if (event.type === SagaEvents.OperatorRequested)
      correlationId = sagaOfStream(event.streamId)?.correlationId;
    else {
      try {
        correlationId = this.#latest.get(name)!.correlate(event);
      } catch (error) {
        // A correlate that throws on some event must not stop the saga's runner on it.
        this.#emitter.emit('error', { component: sagaRunnerName(name), error });
        return Promise.resolve('ignored');
      }
    }
    if (typeof correlationId !== 'string' || correlationId === '') return Promise.resolve('ignored');
    return this.#apply(name, correlationId, { kind: 'event', event }, event.id);
  }

  async fireTimeout(streamId: string, token: string): Promise<HandleOutcome> {
    const owner = sagaOfStream(streamId);
    if (owner === undefined || !this.#latest.has(owner.saga))
      throw new SagaNotFoundError(streamId, undefined, 'saga of stream');
    return this.#apply(owner.saga, owner.correlationId, { kind: 'timeout', token }, undefined);
  }

  /** Reads (or takes from the cache), decides, appends; again on a concurrent change of the stream. */
  #apply(
    name: string,
    correlationId: string,
    input: SagaInput,
    inputId: string | undefined,
  ): Promise<HandleOutcome> {
    if (tracingHook === undefined) return this.#applyInput(name, correlationId, input, inputId);
    return tracingHook.inSpan(sagaSpan(tracingHook, name, correlationId, input), async (span) => {
      const outcome = await this.#applyInput(name, correlationId, input, inputId);
      span.setAttribute('factum.saga.outcome', outcome);
      return outcome;
    });
  }

  async #applyInput(
    name: string,
    correlationId: string,
    input: SagaInput,
    inputId: string | undefined,
  ): Promise<HandleOutcome> {
    const streamId = sagaStreamId(name, correlationId);
    for (let attempt = 1; ; attempt++) {
      const state = this.#cache.get(streamId) ?? (await this.#load(name, correlationId));
      if (inputId !== undefined && state.handled.has(inputId)) return 'duplicate';
      const def =
        state.status === 'new' ? this.#latest.get(name)! : this.#versions.get(name)?.get(state.version);
      const now = this.#now();
      let emitted: Emitted[];
      let causation = inputId;
      if (def === undefined) {
        emitted = decide(
          this.#latest.get(name)!,
          state,
          {
            kind: 'park',
            reason: 'version-unknown',
            error: `definition version ${state.version} of saga ${name} is not registered in this process`,
          },
          now,
        );
      } else {
        emitted = decide(def, state, input, now);
      }
      if (input.kind === 'timeout')
        causation = state.timeouts.get(input.token)?.scheduledBy ?? `timeout:${input.token}`;
      if (emitted.length === 0)
        return inputId !== undefined && state.handled.has(inputId) ? 'duplicate' : 'ignored';
      const events = this.#toNewEvents(name, state, emitted, causation!);
      try {
        const result = await this.#store.append(streamId, events, {
          expectedVersion: state.streamVersion === 0 ? 'no_stream' : state.streamVersion,
        });
        this.#remember(streamId, state, events, result.nextExpectedVersion, now);
        this.#trackTimeouts(state, events);
        return 'applied';
      } catch (error) {
        this.#cache.delete(streamId);
        if (isFactumError(error, ErrorCodes.CONCURRENCY) && attempt < 50) {
          if (attempt > 3) await pause(Math.min(50, attempt * 2));
          continue;
        }
        if (isFactumError(error, ErrorCodes.DUPLICATE_EVENT_ID)) return 'duplicate';
        throw error;
      }
    }
  }

  async #load(name: string, correlationId: string): Promise<SagaState> {
    const read = await this.#store.readStream(sagaStreamId(name, correlationId));
    return foldSaga(name, correlationId, read.events);
  }

  #toNewEvents(name: string, state: SagaState, emitted: readonly Emitted[], causationId: string): NewEvent[] {
    const streamId = sagaStreamId(name, state.correlationId);
    return emitted.map((e, i) => {
      const metadata: Record<string, unknown> = {
        ...e.command?.metadata,
        correlationId: state.correlationId,
        causationId,
      };
      if (e.command !== undefined) {
        metadata.messageKind = 'command';
        metadata.idempotencyKey = e.command.key;
        metadata.saga = name;
        metadata.sagaStep = e.command.step;
        metadata.sagaAttempt = e.command.attempt;
      }
      return {
        id: derivedEventId('saga', streamId, state.streamVersion, causationId, i),
        type: e.type,
        data: e.data,
        metadata,
      };
    });
  }

  #remember(
    streamId: string,
    before: SagaState,
    events: readonly NewEvent[],
    version: number,
    now: number,
  ): void {
    const next = foldSaga(before.saga, before.correlationId, []);
    Object.assign(next, before, {
      replies: { ...before.replies },
      succeeded: [...before.succeeded],
      unknown: [...before.unknown],
      compensated: [...before.compensated],
      timeouts: new Map(before.timeouts),
      handled: new Set(before.handled),
      deferred: [...before.deferred],
    });
    const first = version - events.length + 1;
    const at = new Date(now);
    for (const [i, e] of events.entries()) {
      evolve(next, {
        id: e.id!,
        type: e.type,
        data: e.data,
        metadata: e.metadata ?? {},
        version: first + i,
        timestamp: at,
      });
    }
    if (next.status === 'parked')
      this.#emitter.emit('parked', {
        saga: next.saga,
        correlationId: next.correlationId,
        reason: next.parked?.reason ?? '',
      });
    this.#emitter.emit('applied', {
      saga: next.saga,
      correlationId: next.correlationId,
      input: events[0]?.metadata?.causationId as string,
      events: events.length,
      status: next.status,
    });
    if (FINAL_STATUSES.has(next.status)) {
      this.#cache.delete(streamId);
      return;
    }
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(streamId, next);
  }

  // ---- reading -----------------------------------------------------------------------------------

  status(query: SagaQuery = {}): Promise<SagaSummary[]> {
    return findSagas(this.#index.documents<SagaSummary>(INSTANCES), query);
  }

  count(query: Omit<SagaQuery, 'limit'> = {}): Promise<number> {
    return this.#index.documents<SagaSummary>(INSTANCES).count(sagaFilter(query));
  }

  get names(): readonly string[] {
    return [...this.#latest.keys()];
  }

  async get(name: string, correlationId: string): Promise<SagaInstance | undefined> {
    return readSagaInstance(this.#store, name, correlationId);
  }

  // ---- operators ---------------------------------------------------------------------------------

  retry(name: string, correlationId: string, by: OperatorRequest): Promise<OperatorOutcome> {
    return this.#operate(name, correlationId, 'retry', by);
  }

  skip(name: string, correlationId: string, by: OperatorRequest): Promise<OperatorOutcome> {
    return this.#operate(name, correlationId, 'skip', by);
  }

  compensate(name: string, correlationId: string, by: OperatorRequest): Promise<OperatorOutcome> {
    return this.#operate(name, correlationId, 'compensate', by);
  }

  abort(name: string, correlationId: string, by: OperatorRequest): Promise<OperatorOutcome> {
    return this.#operate(name, correlationId, 'abort', by);
  }

  async #operate(
    name: string,
    correlationId: string,
    action: OperatorAction,
    by: OperatorRequest,
  ): Promise<OperatorOutcome> {
    if (!this.#latest.has(name)) throw new SagaNotFoundError(name, undefined, 'definition');
    checkCorrelationId(correlationId);
    const request = await requestSagaAction(this.#store, name, correlationId, action, by);
    await this.#apply(name, correlationId, { kind: 'event', event: request }, request.id);
    return readOutcome(this.#store, name, correlationId, request.id);
  }

  // ---- running -----------------------------------------------------------------------------------

  start(): void {
    if (this.#abort !== undefined) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#index.start();
    const lease = checkLeaseOptions(this.#options.lease);
    const report = (component: string) => (error: unknown) =>
      this.#emitter.emit('error', { component, error });
    for (const name of this.#latest.keys()) {
      const types = new Set<string>([SagaEvents.OperatorRequested]);
      for (const d of this.#versions.get(name)!.values()) for (const t of d.inputTypes) types.add(t);
      this.#running.push(
        this.#followLog(
          sagaRunnerName(name),
          [...types],
          lease,
          abort.signal,
          report(sagaRunnerName(name)),
          (event) =>
            this.#reactsTo(name, event) ? this.#handleFor(name, event).then(() => {}) : Promise.resolve(),
          (event) =>
            event.type === SagaEvents.OperatorRequested
              ? event.streamId
              : (this.#latest.get(name)!.correlate(event) ?? event.streamId),
        ),
      );
    }
    for (const r of this.#reactors) {
      this.#running.push(
        this.#followLog(
          reactorRunnerName(r.name),
          r.on,
          lease,
          abort.signal,
          report(reactorRunnerName(r.name)),
          (event) => this.#react(r, event),
          (event) => event.streamId,
        ),
      );
    }
    if (this.#latest.size > 0) {
      this.#running.push(
        runWhileLeader({
          storage: this.#follow,
          lease: { name: TIMEOUT_SCHEDULER, scope: TIMEOUT_SCHEDULER },
          owner: this.#owner,
          options: lease,
          stop: abort.signal,
          onError: report(TIMEOUT_SCHEDULER),
          work: (_lease, signal) => this.#schedule(signal),
        }),
      );
    }
  }

  async stop(): Promise<void> {
    const abort = this.#abort;
    if (abort === undefined) return;
    abort.abort();
    await Promise.allSettled(this.#running);
    this.#running = [];
    this.#abort = undefined;
    await this.#index.stop();
  }

  /** One follower of the log: a lease, a checkpoint, pages handled in lanes (one lane per key). */
  #followLog(
    name: string,
    types: readonly string[],
    lease: ReturnType<typeof checkLeaseOptions>,
    stop: AbortSignal,
    onError: (error: unknown) => void,
    handle: (event: StoredEvent) => Promise<void>,
    laneOf: (event: StoredEvent) => string,
  ): Promise<void> {
    const store = this.#store;
    const storage = this.#follow;
    return runWhileLeader({
      storage,
      lease: { name, scope: name },
      owner: this.#owner,
      options: lease,
      stop,
      onError,
      work: async (held, signal) => {
        // Unfiltered pages, filtered here: the checkpoint moves past every event, so a follower of
        // rare types does not scan the same stretch of log again at every wake-up.
        const wanted = new Set(types);
        await follow({
          source: logSource(store),
          after: await loadCheckpoint(storage, name),
          pageSize: this.#options.pageSize ?? 500,
          prefetch: true,
          signal,
          onPage: async (page) => {
            const events = page.events.filter((e) => wanted.has(e.type));
            await inLanes(events, laneOf, this.#options.concurrency ?? 64, handle);
            await held.commitCheckpoint(name, page.last);
          },
        });
      },
    });
  }

  /** A reactor's handling of one event: retried with backoff, then dead-lettered (recorded), never blocking. */
  async #react(r: Reactor, event: StoredEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await react(this.#store, r, event);
        return;
      } catch (error) {
        if (isFactumError(error, ErrorCodes.STORE_CLOSED)) throw error;
        if (attempt >= r.attempts) {
          await deadLetter(this.#store, r, event, error);
          this.#emitter.emit('dead-lettered', { reactor: r.name, eventId: event.id, error });
          return;
        }
        await pause(Math.min(2_000, 50 * 2 ** (attempt - 1)));
      }
    }
  }

  /**
   * The timeout scheduler, while it holds its lease: fires what is due, soonest first. It knows the
   * timeouts this process scheduled at once (so they fire on time whatever the index's lag) and
   * every other one from the saga index (scheduled elsewhere, or before a restart).
   */
  async #schedule(signal: AbortSignal): Promise<void> {
    const index = this.#index.documents<TimeoutDoc>(TIMEOUTS);
    const names = [...this.#latest.keys()];
    // Tokens fired (or found stale) whose index entry is not gone yet: not fired again meanwhile.
    const recent = new Map<string, number>();
    const pollMs = this.#options.timeoutPollMs ?? 100;
    const page = 500;
    let lastIndexRead = 0;
    while (!signal.aborted) {
      this.#timeoutWaker.reset();
      const now = this.#now();
      const due: TimeoutDoc[] = [];
      for (const t of this.#localTimeouts.values()) if (t.dueAt <= now) due.push(t);
      if (now - lastIndexRead >= pollMs || due.length === 0) {
        lastIndexRead = now;
        for (let offset = 0; ; offset += page) {
          const batch = await index.find(
            { dueAt: { lte: now }, saga: { in: names } },
            { orderBy: ['dueAt', 'asc'], limit: page, offset },
          );
          due.push(...batch);
          if (batch.length < page) break;
        }
      }
      const fresh = new Map<string, TimeoutDoc>();
      for (const t of due) {
        const key = timeoutDocId(t.streamId, t.token);
        if ((recent.get(key) ?? 0) < now - 5_000) fresh.set(key, t);
      }
      const ordered = [...fresh.values()].sort((a, b) => a.dueAt - b.dueAt);
      await inLanes(
        ordered,
        (t) => t.streamId,
        this.#options.concurrency ?? 64,
        async (t) => {
          const key = timeoutDocId(t.streamId, t.token);
          recent.set(key, now);
          this.#localTimeouts.delete(key);
          const outcome = await this.#apply(
            t.saga,
            t.correlationId,
            {
              kind: 'timeout',
              token: t.token,
              scheduledIn: tracingHook === undefined ? undefined : creationContext(t),
            },
            undefined,
          );
          if (outcome === 'applied') {
            this.#emitter.emit('timeout-fired', {
              saga: t.saga,
              correlationId: t.correlationId,
              token: t.token,
              dueAt: t.dueAt,
              firedAt: this.#now(),
            });
          }
        },
      );
      for (const [key, at] of recent) if (at < now - 60_000) recent.delete(key);
      if (ordered.length > 0) continue;
      let next = pollMs;
      for (const t of this.#localTimeouts.values()) next = Math.min(next, Math.max(0, t.dueAt - this.#now()));
      await this.#timeoutWaker.idle(next, signal);
    }
  }

  /** Keeps the timeouts this process scheduled (and forgets those it cancelled or fired). */
  #trackTimeouts(state: SagaState, events: readonly NewEvent[]): void {
    const streamId = sagaStreamId(state.saga, state.correlationId);
    let sooner = false;
    for (const e of events) {
      const d = e.data as { token?: string; dueAt?: string };
      if (d?.token === undefined) continue;
      const key = timeoutDocId(streamId, d.token);
      if (e.type === SagaEvents.TimeoutScheduled && this.#localTimeouts.size < MAX_LOCAL_TIMEOUTS) {
        this.#localTimeouts.set(key, {
          streamId,
          saga: state.saga,
          correlationId: state.correlationId,
          token: d.token,
          dueAt: Date.parse(d.dueAt!),
          // Scheduled in the saga's span, when tracing.
          ...(tracingHook === undefined ? {} : tracingHook.activeContext()),
        });
        sooner = true;
      } else if (e.type === SagaEvents.TimeoutCancelled || e.type === SagaEvents.TimeoutFired) {
        this.#localTimeouts.delete(key);
      }
    }
    if (sooner) this.#timeoutWaker.wake();
  }
}

async function deadLetter(store: EventStore, r: Reactor, event: StoredEvent, error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  try {
    await store.append(reactorDeadLetterStream(r.name), [
      {
        id: derivedEventId('reactor-dead-letter', r.name, event.id),
        type: 'ReactorDeadLettered',
        data: {
          reactor: r.name,
          eventId: event.id,
          type: event.type,
          streamId: event.streamId,
          position: event.position.toString(),
          error: message,
        },
        metadata: {
          correlationId: (event.metadata.correlationId as string | undefined) ?? event.id,
          causationId: event.id,
        },
      },
    ]);
  } catch (e) {
    if (!isFactumError(e, ErrorCodes.DUPLICATE_EVENT_ID)) throw e;
  }
}

function sagaFilter(query: Omit<SagaQuery, 'limit'>): Record<string, string> {
  const filter: Record<string, string> = {};
  if (query.name !== undefined) filter.saga = query.name;
  if (query.state !== undefined) filter.status = query.state;
  if (query.correlationId !== undefined) filter.correlationId = query.correlationId;
  return filter;
}

function findSagas(reader: DocumentReader<SagaSummary>, query: SagaQuery): Promise<SagaSummary[]> {
  return reader.find(sagaFilter(query), { orderBy: ['updatedAt', 'desc'], limit: query.limit ?? 100 });
}

/**
 * Instances from the saga index of a SQLite or PostgreSQL store (or a projection storage), without
 * the definitions: what `factum sagas list` prints.
 */
export function listSagas(
  target: EventStore | ProjectionStorage,
  query: SagaQuery = {},
): Promise<SagaSummary[]> {
  return findSagas(readDocuments<SagaSummary>(target as never, INSTANCES), query);
}

/** One instance from its stream; undefined when it does not exist. Needs no definition. */
export async function readSagaInstance(
  store: EventStore,
  name: string,
  correlationId: string,
): Promise<SagaInstance | undefined> {
  checkCorrelationId(correlationId);
  const streamId = sagaStreamId(name, correlationId);
  const read = await store.readStream(streamId);
  if (!read.exists) return undefined;
  const state = foldSaga(name, correlationId, read.events);
  const stepNames = new Map<number, string>();
  for (const e of read.events) {
    const d = e.data as { index?: number; step?: string };
    if (typeof d?.index === 'number' && typeof d.step === 'string') stepNames.set(d.index, d.step);
  }
  const pending =
    state.status === 'new' || FINAL_STATUSES.has(state.status) ? undefined : stepNames.get(state.index);
  return {
    saga: name,
    correlationId,
    streamId,
    version: state.version,
    status: state.status,
    step: pending,
    phase: state.phase,
    attempt: state.attempt,
    waiting: state.waiting,
    succeeded: state.succeeded.map((i) => stepNames.get(i) ?? `#${i}`),
    compensated: state.compensated.map((i) => stepNames.get(i) ?? `#${i}`),
    timeouts: [...state.timeouts.values()].map((t) => ({
      token: t.token,
      dueAt: new Date(t.dueAt),
      purpose: t.purpose,
    })),
    parked: state.parked,
    failure: state.failure,
    events: read.events,
  };
}
