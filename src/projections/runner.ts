import type { Emitter } from '../core/emitter.js';
import {
  ErrorCodes,
  isFactumError,
  ProjectionNotFoundError,
  ProjectionOutdatedError,
} from '../core/errors.js';
import { batchSpan, tracingHook } from '../core/tracing.js';
import {
  acquireLease,
  type CheckedLeaseOptions,
  follow,
  type HeldLease,
  holdLease,
  logSource,
} from '../follow/index.js';
import { pause } from '../follow/kit.js';
import { type ApplyTarget, applyEvents, layoutOf, Superseded } from './apply.js';
import {
  carryOutAction,
  type DeadLetterAction,
  type DeadLetterActionResult,
  requestDeadLetterAction,
} from './dead-letter-actions.js';
import type { ProjectionEvents } from './events.js';
import { LagMonitor } from './lag-monitor.js';
import { projectionCheckpoint, runnerLeaseName } from './status.js';
import { type ProjectionStorage, readAheadOf } from './storage.js';
import type { Projection } from './types.js';

export interface RunnerDeps {
  storage: ProjectionStorage;
  owner: string;
  lease: CheckedLeaseOptions;
  /** How often the active runner checks lag, SLA and operator requests (ms). */
  monitorEveryMs: number;
  emitter: Emitter<ProjectionEvents>;
}

/** 'paused': holds the lease, applies nothing until an operator resumes the projection. */
export type RunnerState = 'stopped' | 'standby' | 'active' | 'paused';

/** The projection is paused: the session ends before applying anything, and waits for a resume. */
class Paused extends Error {}

interface Session {
  enqueue<T>(work: () => Promise<T>): Promise<T>;
  target: ApplyTarget;
}

/**
 * Runs one async projection: competes for its lease; while it holds it, follows the global log from the
 * projection's checkpoint (the follow kit: catch-up pages, then live pages of up to batchSize or what
 * arrived before the event loop turned), and applies each page and the checkpoint in one transaction.
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

  /** Competes for the lease; while holding it, runs sessions (restarted after failures) until stopped. */
  async #run(stop: AbortSignal): Promise<void> {
    const { storage, owner, lease: options, emitter } = this.#deps;
    const name = this.projection.name;
    const leaseName = { name: runnerLeaseName(name), scope: name };
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
      emitter.emit('lease', { projection: name, lease: leaseName.name, owner, state: 'acquired' });
      let outdated = false;
      const end = await holdLease(
        lease,
        options,
        stop,
        async (signal) => {
          outdated = await this.#runSessions(lease, signal);
        },
        (error) => this.#error(error),
      );
      this.#state = 'standby';
      if (end === 'closed') return;
      const state = end === 'lost' ? 'lost' : 'released';
      emitter.emit('lease', { projection: name, lease: leaseName.name, owner, state });
      if (outdated) await pause(options.acquireEveryMs * 5, stop);
    }
  }

  /**
   * Runs sessions while the lease is held, restarting a failed one from the stored checkpoint with
   * backoff. Returns true when a newer version of the projection built the live read model (the
   * lease goes to an instance running it).
   */
  async #runSessions(lease: HeldLease, signal: AbortSignal): Promise<boolean> {
    let backoff = 0;
    while (!signal.aborted) {
      try {
        await this.#runSession(lease, signal);
        backoff = 0;
      } catch (error) {
        if (error instanceof Superseded) continue;
        if (error instanceof Paused) {
          await this.#whilePaused(signal);
          continue;
        }
        if (isFactumError(error, ErrorCodes.LEASE_LOST) || isFactumError(error, ErrorCodes.STORE_CLOSED)) {
          throw error;
        }
        if (isFactumError(error, ErrorCodes.PROJECTION_OUTDATED)) {
          this.#error(error);
          return true;
        }
        if (signal.aborted) break;
        this.#error(error);
        backoff = Math.min(5_000, Math.max(100, backoff * 2));
        await pause(backoff, signal);
      }
    }
    return false;
  }

  /**
   * One session: from the live generation's checkpoint, follows the log (catch-up pages up to the
   * head found on starting, then live pages gathered from the subscription) and applies each page
   * with its checkpoint in one transaction. Dead-letter actions and operator requests run between
   * pages, in the same queue.
   */
  async #runSession(lease: HeldLease, signal: AbortSignal): Promise<void> {
    const { storage, emitter } = this.#deps;
    const projection = this.projection;
    const name = projection.name;
    const start = await storage.read(async (tx) => {
      const record = await tx.getProjection(name);
      if (record === undefined) throw new ProjectionNotFoundError(`projection ${name}`);
      if (record.version > projection.version)
        throw new ProjectionOutdatedError(name, projection.version, record.version);
      if (record.paused !== null) throw new Paused(name);
      const generation = record.liveGeneration;
      return { generation, position: (await tx.getCheckpoint(projectionCheckpoint(name, generation))) ?? 0n };
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
        // Paused: this batch rolls back, the session ends and waits for a resume.
        if (record.paused !== null) throw new Paused(name);
      },
      onDeadLetter: (letter) => {
        emitter.emit('dead-letter', { projection: name, ...letter });
        if (letter.status === 'dead') void this.#lag.check().catch(() => {});
      },
    };

    // Pages, dead-letter actions and operator requests run one after another; the first failure
    // ends the session (the next page then throws it, which stops the loop).
    const session = new AbortController();
    const stopSession = () => session.abort();
    signal.addEventListener('abort', stopSession, { once: true });
    let failed: unknown;
    let chain: Promise<unknown> = Promise.resolve();
    const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
      const run = chain.then(() => {
        if (failed !== undefined) throw failed;
        return work();
      });
      chain = run.catch((error: unknown) => {
        if (failed === undefined) {
          failed = error;
          session.abort();
        }
      });
      return run;
    };
    this.#session = { enqueue, target };
    // Lag is checked beside the batches (a slow batch must not hide a breach); operator requests are
    // carried out between batches.
    const tick = () => {
      void this.#lag.check().catch((error: unknown) => this.#error(error));
      void enqueue(() => this.#carryOutRequested(target)).catch(() => {});
    };
    const monitor = setInterval(tick, this.#deps.monitorEveryMs);
    tick();
    try {
      await follow({
        source: logSource(storage.store, { head: () => storage.head() }),
        after: start.position,
        pageSize: projection.batchSize,
        prefetch: readAheadOf(storage),
        signal: session.signal,
        track: (oldest) => {
          this.#oldestPending = () => oldest()?.timestamp.getTime();
        },
        onPage: (page, readAhead) =>
          enqueue(async () => {
            if (tracingHook === undefined) await applyEvents(storage, target, page.events, readAhead);
            else {
              const attributes = {
                'factum.projection.name': name,
                'factum.projection.generation': start.generation,
              };
              await tracingHook.inSpan(batchSpan(`project ${name}`, attributes, page.events), () =>
                applyEvents(storage, target, page.events, readAhead),
              );
            }
            if (emitter.has('checkpoint')) {
              emitter.emit('checkpoint', {
                projection: name,
                generation: start.generation,
                position: page.last,
                events: page.events.length,
              });
            }
          }),
      });
    } catch (error) {
      failed ??= error;
    } finally {
      signal.removeEventListener('abort', stopSession);
      clearInterval(monitor);
      this.#session = undefined;
      this.#oldestPending = () => undefined;
      await chain;
    }
    if (failed === undefined) return;
    // Stopping: a failure after the stop was asked for is not this runner's to report, unless it
    // says the writer was replaced.
    if (
      !signal.aborted ||
      failed instanceof Superseded ||
      failed instanceof Paused ||
      isFactumError(failed, ErrorCodes.LEASE_LOST)
    )
      throw failed;
  }

  /** Keeps the lease (holdLease renews it) and checks every monitor period until the projection is resumed. */
  async #whilePaused(signal: AbortSignal): Promise<void> {
    const { storage, emitter } = this.#deps;
    const name = this.projection.name;
    this.#state = 'paused';
    emitter.emit('paused', { projection: name, paused: true });
    try {
      while (!signal.aborted) {
        const record = await storage.read((tx) => tx.getProjection(name));
        if (record?.paused === null || record === undefined) break;
        await pause(this.#deps.monitorEveryMs, signal);
      }
    } finally {
      if (this.#state === 'paused') this.#state = 'active';
      emitter.emit('paused', { projection: name, paused: false });
    }
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
