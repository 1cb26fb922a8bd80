import type { StoredEvent } from '../core/envelope.js';
import { RetriesExhaustedError, WaitTimeoutError } from '../core/errors.js';
import { retry } from '../core/retry.js';
import { projectionCheckpoint } from './status.js';
import type { BatchTx, DeadLetterError, GenerationLayout, ProjectionStorage, StorageTx } from './storage.js';
import type { Projection } from './types.js';

/** The read-model objects of a projection in one generation. */
export function layoutOf(projection: Projection, generation: number): GenerationLayout {
  return {
    projection: projection.name,
    generation,
    documents: projection.documents,
    tables: projection.tables,
  };
}

/** The writer was replaced: its generation is no longer the one it may write (a rebuild swapped or was restarted). */
export class Superseded extends Error {
  constructor(projection: string, generation: number) {
    super(`Projection ${projection}: generation ${generation} is no longer the one this writer may write`);
    this.name = 'Superseded';
  }
}

/** Where and how a batch is applied. */
export interface ApplyTarget {
  projection: Projection;
  layout: GenerationLayout;
  /** Runs first in every transaction; throws when this writer must stop (lease lost, generation swapped). */
  fence(tx: StorageTx): Promise<void>;
  /** Aborts retry waits when the runner stops. */
  signal: AbortSignal | undefined;
  /** Told about every event dead-lettered or parked (after its transaction committed). */
  onDeadLetter?(letter: {
    id: number;
    status: 'dead' | 'parked';
    event: StoredEvent;
    error: Error | undefined;
  }): void;
}

export interface ApplyCounts {
  applied: number;
  parked: number;
  dead: number;
}

interface Failure {
  index: number;
  error: unknown;
}

/** How applying a range stopped early: a handler threw, or a call was deferred to the commit (BatchTx.call). */
type Stop = ({ kind: 'failed' } & Failure) | { kind: 'deferred'; index: number };

const ABORT = Symbol('abort');

export function toDeadLetterError(error: unknown): DeadLetterError {
  if (error instanceof Error) return { message: error.message, stack: error.stack ?? null };
  return { message: String(error), stack: null };
}

/**
 * Applies events[from, to) through `tx`: events of unhandled types pass by, events whose ordering key
 * is blocked by a dead letter are parked, the rest go to the handler. Stops at the first handler
 * failure (the caller rolls the batch back) or deferred call, and says which. `beforeHandlers` is
 * called once the batch's checks are done, just before the first handler call.
 */
export async function applyRange(
  tx: BatchTx,
  target: ApplyTarget,
  events: readonly StoredEvent[],
  from: number,
  to: number,
  counts: ApplyCounts,
  parked: StoredEvent[],
  beforeHandlers?: () => void,
): Promise<Stop | undefined> {
  const { projection, layout } = target;
  const handles = handledTypes(projection);
  const ptx = tx.projectionTx(layout);
  const blocked = await tx.blockedKeys(projection.name, layout.generation);
  beforeHandlers?.();
  const deadline = new HandlerDeadline(projection);
  try {
    for (let i = from; i < to; i++) {
      const event = events[i]!;
      if (!handles.has(event.type)) continue;
      if (blocked.size > 0) {
        const key = projection.keyOf(event);
        if (key !== null && blocked.has(key)) {
          await tx.addDeadLetter({
            projection: projection.name,
            generation: layout.generation,
            status: 'parked',
            orderingKey: key,
            event,
            error: null,
            attempts: 0,
          });
          parked.push(event);
          counts.parked++;
          continue;
        }
      }
      try {
        const outcome = await tx.call(() => {
          const result = projection.handle(event, ptx);
          return result === undefined ? undefined : deadline.wait(result, event);
        });
        if (outcome === 'deferred') return { kind: 'deferred', index: i };
        counts.applied++;
      } catch (error) {
        return { kind: 'failed', index: i, error };
      }
    }
  } finally {
    deadline.end();
  }
  return undefined;
}

/**
 * Waits for a handler's promise, at most the projection's timeoutMs: a handler that hangs would hold
 * its batch (and, inside a transaction, the lock) forever. The abandoned call's later rejection is
 * swallowed; its tx is closed by then.
 */
export function withDeadline(work: Promise<void>, projection: Projection, event: StoredEvent): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new WaitTimeoutError(
            `projection ${projection.name} to handle ${event.type} ${event.id} (stream: ${event.streamId})`,
            projection.timeoutMs,
          ),
        ),
      projection.timeoutMs,
    );
  });
  const call = Promise.resolve(work);
  call.catch(() => {});
  return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The deadline of a batch's handler calls, one call at a time: the same rule as withDeadline (each
 * call at most the projection's timeoutMs), kept by one timer for the whole range instead of one per
 * event. The timer looks at the call in progress when it fires, and fires again when that call's
 * own deadline is later.
 */
class HandlerDeadline {
  readonly #projection: Projection;
  #timer: NodeJS.Timeout | undefined;
  #current: { event: StoredEvent; started: number; reject: (error: Error) => void } | undefined;

  constructor(projection: Projection) {
    this.#projection = projection;
  }

  wait(work: Promise<void>, event: StoredEvent): Promise<void> {
    // Its rejection is handled by the `then` below, also once the deadline has passed.
    const call = Promise.resolve(work);
    return new Promise<void>((resolve, reject) => {
      const current = { event, started: Date.now(), reject };
      this.#current = current;
      this.#timer ??= setTimeout(this.#check, this.#projection.timeoutMs);
      call.then(
        () => {
          if (this.#current === current) this.#current = undefined;
          resolve();
        },
        (error: unknown) => {
          if (this.#current === current) this.#current = undefined;
          reject(error);
        },
      );
    });
  }

  end(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#current = undefined;
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    const current = this.#current;
    if (current === undefined) return;
    const { timeoutMs, name } = this.#projection;
    const left = current.started + timeoutMs - Date.now();
    if (left > 0) {
      this.#timer = setTimeout(this.#check, left);
      return;
    }
    this.#current = undefined;
    const { event } = current;
    current.reject(
      new WaitTimeoutError(
        `projection ${name} to handle ${event.type} ${event.id} (stream: ${event.streamId})`,
        timeoutMs,
      ),
    );
  };
}

const handledCache = new WeakMap<Projection, Set<string>>();

export function handledTypes(projection: Projection): Set<string> {
  let set = handledCache.get(projection);
  if (set === undefined) {
    set = new Set(projection.handles);
    handledCache.set(projection, set);
  }
  return set;
}

/**
 * One batch for events[from, to) and the checkpoint after them (ProjectionStorage.batch: one commit);
 * returns the failure if a handler threw.
 */
async function tryBatch(
  storage: ProjectionStorage,
  target: ApplyTarget,
  events: readonly StoredEvent[],
  from: number,
  to: number,
  counts: ApplyCounts,
  beforeHandlers: (() => void) | undefined,
): Promise<Failure | undefined> {
  let failure: Failure | undefined;
  const local: ApplyCounts = { applied: 0, parked: 0, dead: 0 };
  const parked: StoredEvent[] = [];
  const stopped = (stop: Stop | undefined): Stop | undefined => {
    if (stop?.kind !== 'failed') return stop;
    failure = stop;
    throw ABORT;
  };
  let deadLetters: number[];
  try {
    ({ deadLetters } = await storage.batch(target.projection.name, {
      check: (tx) => target.fence(tx),
      work: async (tx) =>
        stopped(await applyRange(tx, target, events, from, to, local, parked, beforeHandlers)),
      commit: async (tx, stop, direct) => {
        // Calls deferred to the commit: the rest of the batch, in this transaction.
        if (stop !== undefined)
          stopped(await applyRange(direct, target, events, stop.index, to, local, parked));
        await tx.setCheckpoint(
          projectionCheckpoint(target.projection.name, target.layout.generation),
          events[to - 1]!.position,
        );
      },
    }));
  } catch (error) {
    if (error !== ABORT) throw error;
    return failure;
  }
  counts.applied += local.applied;
  counts.parked += local.parked;
  for (const [k, event] of parked.entries()) {
    target.onDeadLetter?.({ id: deadLetters[k]!, status: 'parked', event, error: undefined });
  }
  return undefined;
}

class HandlerFailure extends Error {
  readonly failure: unknown;

  constructor(failure: unknown) {
    super(failure instanceof Error ? failure.message : String(failure));
    this.failure = failure;
  }
}

/**
 * Applies a batch of consecutive log events and moves the checkpoint past the last one, in as few
 * transactions as possible: one when every handler succeeds. When a handler throws, the transaction
 * rolls back, the events before the failing one are committed on their own, and the failing event is
 * retried alone with backoff (each attempt its own transaction); once the retries are exhausted it is
 * dead-lettered with its error and stack, and the rest of the batch goes on. `beforeHandlers` (the
 * follow loop's readAhead) is called in each transaction once its checks are done, as the handlers
 * start: on PostgreSQL the batch's writes are sent at the end of the handler calls, so the next page
 * read then arrives while the database writes, not during this transaction's first round trips.
 */
export async function applyEvents(
  storage: ProjectionStorage,
  target: ApplyTarget,
  events: readonly StoredEvent[],
  beforeHandlers?: () => void,
): Promise<ApplyCounts> {
  const counts: ApplyCounts = { applied: 0, parked: 0, dead: 0 };
  let from = 0;
  let to = events.length;
  // A handler failure seen in a batch: once the events before it are committed, it is retried alone.
  let known: Failure | undefined;
  while (from < events.length) {
    if (known !== undefined && known.index === from) {
      await applyWithRetries(storage, target, events, from, counts, known.error);
      known = undefined;
      from += 1;
      to = events.length;
      continue;
    }
    const failure = await tryBatch(storage, target, events, from, to, counts, beforeHandlers);
    if (failure === undefined) {
      from = to;
      to = events.length;
    } else {
      known = failure;
      to = failure.index;
    }
  }
  return counts;
}

async function applyWithRetries(
  storage: ProjectionStorage,
  target: ApplyTarget,
  events: readonly StoredEvent[],
  index: number,
  counts: ApplyCounts,
  firstError: unknown,
): Promise<void> {
  const { retry: policy } = target.projection;
  let attempts = 1;
  try {
    if (policy.retries === 0) throw new RetriesExhaustedError(1, 0, new HandlerFailure(firstError));
    await retry(
      async (attempt) => {
        // Attempt 1 already failed in the batch; wait for the first backoff, then try again.
        if (attempt === 1) throw new HandlerFailure(firstError);
        attempts = attempt;
        const failure = await tryBatch(storage, target, events, index, index + 1, counts, undefined);
        if (failure !== undefined) throw new HandlerFailure(failure.error);
      },
      {
        retries: policy.retries,
        initialDelayMs: policy.initialDelayMs,
        maxDelayMs: policy.maxDelayMs,
        factor: policy.factor,
        jitter: policy.jitter,
        isRetriable: (error) => error instanceof HandlerFailure,
        ...(target.signal === undefined ? {} : { signal: target.signal }),
      },
    );
  } catch (error) {
    if (!(error instanceof RetriesExhaustedError) || !(error.cause instanceof HandlerFailure)) throw error;
    await deadLetter(storage, target, events[index]!, error.cause.failure, attempts);
    counts.dead++;
  }
}

async function deadLetter(
  storage: ProjectionStorage,
  target: ApplyTarget,
  event: StoredEvent,
  cause: unknown,
  attempts: number,
): Promise<void> {
  const { projection, layout } = target;
  const id = await storage.transaction(async (tx) => {
    await target.fence(tx);
    const id = await tx.addDeadLetter({
      projection: projection.name,
      generation: layout.generation,
      status: 'dead',
      orderingKey: projection.keyOf(event),
      event,
      error: toDeadLetterError(cause),
      attempts,
    });
    await tx.setCheckpoint(projectionCheckpoint(projection.name, layout.generation), event.position);
    return id;
  }, projection.name);
  const error = cause instanceof Error ? cause : new Error(String(cause));
  target.onDeadLetter?.({ id, status: 'dead', event, error });
}
