import type { Emitter } from '../core/emitter.js';
import type { StoredEvent } from '../core/envelope.js';
import {
  ErrorCodes,
  isFactumError,
  ProjectionNotFoundError,
  ProjectionOutdatedError,
} from '../core/errors.js';
import { type ApplyTarget, applyEvents, layoutOf, Superseded } from './apply.js';
import {
  carryOutAction,
  type DeadLetterAction,
  type DeadLetterActionResult,
  requestDeadLetterAction,
} from './dead-letter-actions.js';
import type { ProjectionEvents } from './events.js';
import { LagMonitor } from './lag-monitor.js';
import { acquireLease, type CheckedLeaseOptions, type HeldLease } from './lease.js';
import { pause } from './pause.js';
import { runnerLeaseName } from './status.js';
import type { ProjectionStorage } from './storage.js';
import type { Projection } from './types.js';

export interface RunnerDeps {
  storage: ProjectionStorage;
  owner: string;
  lease: CheckedLeaseOptions;
  /** How often the active runner checks lag, SLA and operator requests (ms). */
  monitorEveryMs: number;
  emitter: Emitter<ProjectionEvents>;
}

export type RunnerState = 'stopped' | 'standby' | 'active';

/** The longest an event waits in a batch being gathered before the batch is committed (ms). */
const MAX_GATHER_MS = 5;

interface Session {
  enqueue<T>(work: () => Promise<T>): Promise<T>;
  target: ApplyTarget;
}

/**
 * Runs one async projection: competes for its lease; while it holds it, tails the global log from the
 * projection's checkpoint through `subscribe`, gathers events into batches (up to batchSize, or what
 * arrived before the event loop turned), and applies each batch and the checkpoint in one transaction.
 * Any failure other than a handler's (which ends in the dead-letter table) restarts it from the stored
 * checkpoint; losing the lease stops it writing at once (its transactions check the fencing token).
 */
export class AsyncRunner {
  readonly projection: Projection;
  readonly #deps: RunnerDeps;
  #state: RunnerState = 'stopped';
  #stop: AbortController | undefined;
  #main: Promise<void> | undefined;
  #session: Session | undefined;
  /** Timestamp (ms) of the oldest event this runner received and has not committed yet. */
  #oldestPending: () => number | undefined = () => undefined;
  readonly #lag: LagMonitor;

  constructor(projection: Projection, deps: RunnerDeps) {
    this.projection = projection;
    this.#deps = deps;
    this.#lag = new LagMonitor(projection, deps.storage, deps.emitter, () => this.#oldestPending());
  }

  get state(): RunnerState {
    return this.#state;
  }

  start(): void {
    if (this.#main !== undefined) return;
    const stop = new AbortController();
    this.#stop = stop;
    this.#state = 'standby';
    this.#main = this.#run(stop.signal).finally(() => {
      this.#state = 'stopped';
    });
  }

  async stop(): Promise<void> {
    this.#stop?.abort();
    await this.#main;
    this.#main = undefined;
    this.#stop = undefined;
  }

  /**
   * Records and carries out a dead-letter action now, if this runner is the active one: both between
   * two batches, so the periodic check for requests cannot take it over half-way.
   */
  async carryOut(id: number, action: DeadLetterAction): Promise<DeadLetterActionResult | undefined> {
    const session = this.#session;
    if (session === undefined) return undefined;
    const { storage } = this.#deps;
    const outcome = await session.enqueue(async () => {
      try {
        await requestDeadLetterAction(storage, id, action);
      } catch (error) {
        // A refused request (no such letter, a parked one) is the caller's error, not the runner's.
        return { refused: error };
      }
      return { result: await carryOutAction(storage, session.target, id) };
    });
    if ('refused' in outcome) throw outcome.refused;
    await this.#lag.check().catch(() => {});
    return outcome.result;
  }

  async #run(stop: AbortSignal): Promise<void> {
    const { storage, owner, lease: options, emitter } = this.#deps;
    const name = this.projection.name;
    const leaseName = runnerLeaseName(name);
    let backoff = 0;
    while (!stop.aborted) {
      let lease: HeldLease | undefined;
      try {
        lease = await acquireLease(storage, leaseName, owner, options);
      } catch (error) {
        if (isFactumError(error, ErrorCodes.STORE_CLOSED)) return;
        this.#error(error);
      }
      if (lease === undefined) {
        this.#state = 'standby';
        await pause(options.acquireEveryMs, stop);
        continue;
      }
      this.#state = 'active';
      emitter.emit('lease', { projection: name, lease: leaseName, owner, state: 'acquired' });
      const holding = new AbortController();
      const relay = () => holding.abort();
      stop.addEventListener('abort', relay, { once: true });
      let lost = false;
      let closed = false;
      let outdated = false;
      const keeper = lease.keep(
        options,
        holding.signal,
        () => {
          lost = true;
          holding.abort();
        },
        (error) => this.#error(error),
      );
      try {
        while (!holding.signal.aborted) {
          try {
            await this.#runSession(lease, holding.signal);
            backoff = 0;
          } catch (error) {
            if (error instanceof Superseded) continue;
            if (isFactumError(error, ErrorCodes.LEASE_LOST)) {
              lost = true;
              break;
            }
            if (isFactumError(error, ErrorCodes.STORE_CLOSED)) {
              closed = true;
              break;
            }
            if (isFactumError(error, ErrorCodes.PROJECTION_OUTDATED)) {
              // A newer version built the live read model: give the lease to an instance running it.
              this.#error(error);
              outdated = true;
              break;
            }
            if (holding.signal.aborted) break;
            this.#error(error);
            backoff = Math.min(5_000, Math.max(100, backoff * 2));
            await pause(backoff, holding.signal);
          }
        }
      } finally {
        holding.abort();
        stop.removeEventListener('abort', relay);
        await keeper;
        this.#state = 'standby';
        if (lost) {
          // The row belongs to the new holder by now; a session lock (if any) is let go.
          await lease.release(false).catch(() => {});
          emitter.emit('lease', { projection: name, lease: leaseName, owner, state: 'lost' });
        } else if (closed) {
          await lease.release(false).catch(() => {});
        } else {
          await lease.release().catch(() => {});
          emitter.emit('lease', { projection: name, lease: leaseName, owner, state: 'released' });
        }
      }
      if (closed) return;
      if (outdated) await pause(options.acquireEveryMs * 5, stop);
    }
  }

  async #runSession(lease: HeldLease, signal: AbortSignal): Promise<void> {
    const { storage, emitter } = this.#deps;
    const projection = this.projection;
    const name = projection.name;
    const start = await storage.read(async (tx) => {
      const record = await tx.getProjection(name);
      if (record === undefined) throw new ProjectionNotFoundError(`projection ${name}`);
      if (record.version > projection.version)
        throw new ProjectionOutdatedError(name, projection.version, record.version);
      const generation = record.liveGeneration;
      return { generation, position: (await tx.getCheckpoint(name, generation)) ?? 0n };
    });
    const target: ApplyTarget = {
      projection,
      layout: layoutOf(projection, start.generation),
      signal,
      fence: async (tx) => {
        await lease.check(tx);
        const record = await tx.getProjection(name);
        if (record?.liveGeneration !== start.generation) throw new Superseded(name, start.generation);
        if (record.version > projection.version)
          throw new ProjectionOutdatedError(name, projection.version, record.version);
      },
      onDeadLetter: (letter) => {
        emitter.emit('dead-letter', { projection: name, ...letter });
        if (letter.status === 'dead') void this.#lag.check().catch(() => {});
      },
    };

    let failed: unknown;
    let ended = false;
    let wake: () => void = () => {};
    const ended$ = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let chain: Promise<unknown> = Promise.resolve();
    const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
      const run = chain.then(() => {
        if (failed !== undefined) throw failed;
        return work();
      });
      chain = run.catch((error: unknown) => {
        if (failed === undefined && !ended) {
          failed = error;
          wake();
        }
      });
      return run;
    };

    let batch: StoredEvent[] = [];
    let inflight: StoredEvent | undefined;
    this.#oldestPending = () => (inflight ?? batch[0])?.timestamp.getTime();
    let scheduled = false;
    let gatheringSince = 0;
    const flush = () =>
      enqueue(async () => {
        if (batch.length === 0) return;
        const events = batch;
        batch = [];
        inflight = events[0];
        try {
          await applyEvents(storage, target, events);
        } finally {
          inflight = undefined;
        }
        const position = events.at(-1)!.position;
        if (emitter.has('checkpoint')) {
          emitter.emit('checkpoint', {
            projection: name,
            generation: start.generation,
            position,
            events: events.length,
          });
        }
      });

    this.#session = { enqueue, target };
    // Lag is checked beside the batches (a slow batch must not hide a breach); operator requests are
    // carried out between batches.
    const tick = () => {
      void this.#lag.check().catch((error: unknown) => this.#error(error));
      void enqueue(() => this.#carryOutRequested(target)).catch(() => {});
    };
    const monitor = setInterval(tick, this.#deps.monitorEveryMs);
    tick();
    signal.addEventListener('abort', wake, { once: true });

    // Catch up by reading pages directly (cheaper than event-by-event delivery) up to the head of the
    // log as it was on starting, then go live: the subscription delivers the rest. Reading on until a
    // page came back short would not end while this process keeps appending: on PostgreSQL, readAll
    // waits for the store's own latest append to become visible, so its pages come back full.
    let from = start.position;
    await enqueue(async () => {
      const head = await storage.head();
      while (!signal.aborted && from < head) {
        const page = await storage.store.readAll({ after: from, limit: projection.batchSize });
        if (page.events.length === 0) return;
        inflight = page.events[0];
        try {
          await applyEvents(storage, target, page.events);
        } finally {
          inflight = undefined;
        }
        from = page.last;
        if (emitter.has('checkpoint')) {
          emitter.emit('checkpoint', {
            projection: name,
            generation: start.generation,
            position: from,
            events: page.events.length,
          });
        }
        if (page.events.length < projection.batchSize) return;
      }
    }).catch(() => {});

    let subscription: ReturnType<typeof storage.store.subscribe> | undefined;
    if (failed === undefined && !signal.aborted) {
      subscription = storage.store.subscribe(
        { after: from, batchSize: Math.max(projection.batchSize, 100) },
        (event) => {
          if (failed !== undefined) throw failed;
          if (batch.length === 0) gatheringSince = performance.now();
          batch.push(event);
          // Full, or held long enough while the event loop stays busy (a burst of appends in this
          // process can keep the setImmediate below from running): commit now.
          if (batch.length >= projection.batchSize || performance.now() - gatheringSince >= MAX_GATHER_MS) {
            return flush();
          }
          if (!scheduled) {
            scheduled = true;
            setImmediate(() => {
              scheduled = false;
              if (!ended) flush().catch(() => {});
            });
          }
        },
      );
      subscription.done.then(wake, (error: unknown) => {
        if (failed === undefined) failed = (error as { cause?: unknown }).cause ?? error;
        wake();
      });
    } else {
      wake();
    }

    try {
      await ended$;
    } finally {
      signal.removeEventListener('abort', wake);
      clearInterval(monitor);
      this.#session = undefined;
      this.#oldestPending = () => undefined;
      await subscription?.unsubscribe();
      // A graceful stop commits what was already gathered.
      if (failed === undefined) await flush().catch(() => {});
      ended = true;
      await chain;
    }
    if (failed !== undefined && !signal.aborted) throw failed;
    if (failed instanceof Superseded || isFactumError(failed, ErrorCodes.LEASE_LOST)) throw failed;
  }

  /** Operator requests (retry/skip) waiting for this runner. */
  async #carryOutRequested(target: ApplyTarget): Promise<void> {
    const { storage } = this.#deps;
    const pending = await storage.read((tx) =>
      tx.listDeadLetters({
        projection: this.projection.name,
        generation: target.layout.generation,
        withAction: true,
        limit: 100,
      }),
    );
    for (const letter of pending) await carryOutAction(storage, target, letter.id);
  }

  #error(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.#deps.emitter.emit('error', { projection: this.projection.name, error: err });
  }
}
