import { Emitter } from '../core/emitter.js';
import type { StoredEvent } from '../core/envelope.js';
import {
  ErrorCodes,
  isFactumError,
  ProjectionNotFoundError,
  ValidationError,
  WaitTimeoutError,
} from '../core/errors.js';
import type { SchemaRegistry } from '../core/schema-registry.js';
import type { EventStore } from '../core/store.js';
import { checkLeaseOptions, type LeaseOptions, newOwnerId } from '../follow/index.js';
import { assertStrategyAvailable, Waker } from '../follow/kit.js';
import { projectionStorageFor } from './admin.js';
import { type DeadLetterActionResult, requestDeadLetterAction } from './dead-letter-actions.js';
import type { ProjectionAlert, ProjectionEvents } from './events.js';
import { installInlineProjections } from './inline.js';
import { documentReader } from './read-model.js';
import { type RebuildDeps, type RebuildOptions, type RebuildResult, rebuildProjection } from './rebuild.js';
import { registerProjection } from './register.js';
import { AsyncRunner, type RunnerState } from './runner.js';
import { type ProjectionStatus, projectionCheckpoint, readStatus } from './status.js';
import type { DeadLetter, DeadLetterQuery, ProjectionStorage } from './storage.js';
import type { DocumentReader, Projection, ProjectionTx } from './types.js';

export interface ProjectionsOptions {
  /** Projections run by background runners from their checkpoints (eventually consistent, bounded by their SLA). */
  async?: readonly Projection[];
  /** Projections applied inside every append's transaction (read-your-writes; a failure fails the append). SQLite and PostgreSQL. */
  inline?: readonly Projection[];
  /** Where read models live; default: the SQLite store's own database. Required for other stores. */
  storage?: ProjectionStorage;
  /** Single-active-runner lease: strategy ('advisory' on PostgreSQL by default, else 'row') and timing. */
  lease?: LeaseOptions;
  /** How often an active runner checks lag, SLA and operator requests (ms, default 1,000). */
  monitorEveryMs?: number;
  /** This instance's name in leases (default: host:pid:random). */
  owner?: string;
  /** Called for every alert (dead letters above zero, SLA breached or recovered). */
  onAlert?: (alert: ProjectionAlert) => void;
  /**
   * The schema registry of the events: handlers then receive every event upcast to its type's current
   * schema version, as `withSchemas(store, registry)` reads them (async, inline, rebuilds, retries).
   */
  schemas?: SchemaRegistry;
  /**
   * Rebuild projections whose live generation was built by another `version` of their definition
   * (default true): inline ones before createProjections resolves, async ones in the background when
   * start() is called (readers keep the old generation until the swap; with several processes, one
   * rebuilds and the others' attempts find it under way). false leaves them `stale` until
   * rebuild(name) is called.
   */
  rebuildStale?: boolean;
}

/** A projection's status from the database, plus what this process knows about it. */
export interface InstanceProjectionStatus extends ProjectionStatus {
  /** This process's runner: 'active' (holds the lease), 'standby', 'stopped'; undefined for inline. */
  local: RunnerState | undefined;
  /** The live generation was built by another version of the definition: rebuild it. */
  stale: boolean;
}

export interface WaitForOptions {
  /** Default 10,000 ms. */
  timeoutMs?: number;
}

/** The projections of one application on one store. */
export interface Projections {
  readonly storage: ProjectionStorage;
  readonly owner: string;
  /** Starts the async runners; each becomes active when it gets its projection's lease, standby otherwise. */
  start(): void;
  /** Stops the async runners (releasing their leases so a standby takes over at once). Inline projections stay installed. */
  stop(): Promise<void>;
  /** Rebuilds a projection into a fresh generation and swaps it in; readers keep the old one until then. */
  rebuild(name: string, options?: RebuildOptions): Promise<RebuildResult>;
  /** Resolves once the projection has applied everything up to `position` (read-your-writes after an append). */
  waitFor(name: string, position: bigint, options?: WaitForOptions): Promise<void>;
  status(name?: string): Promise<InstanceProjectionStatus[]>;
  /** Reads a collection of the live generation. */
  documents<T extends object = Record<string, unknown>>(collection: string): DocumentReader<T>;
  listDeadLetters(query?: DeadLetterQuery): Promise<DeadLetter[]>;
  /** Retries a dead letter now if this process runs its projection, else leaves the request for the runner that does. */
  retryDeadLetter(id: number): Promise<DeadLetterActionResult>;
  /** Skips a dead letter (releasing what is parked behind it), now or via the active runner. */
  skipDeadLetter(id: number): Promise<DeadLetterActionResult>;
  on<K extends keyof ProjectionEvents>(
    event: K,
    listener: (payload: ProjectionEvents[K]) => void,
  ): () => void;
}

/**
 * Registers projections on a store: creates their read models, installs the inline ones (building a
 * new inline projection from the log first) and prepares a runner per async one (call start()).
 *
 * ```ts
 * const projections = await createProjections(store, { async: [orderSummary] });
 * projections.start();
 * const { position } = await store.append('order-42', [placed]);
 * await projections.waitFor('order_summary', position);
 * const summary = await projections.documents('order_summaries').get('42');
 * ```
 */
export async function createProjections(
  store: EventStore,
  options: ProjectionsOptions,
): Promise<Projections> {
  const storage = options.storage ?? projectionStorageFor(store);
  const { asyncProjections, inlineProjections, byName } = definitionsOf(options);
  const owner = options.owner ?? newOwnerId();
  const lease = checkLeaseOptions(options.lease);
  assertStrategyAvailable(storage, lease);
  const emitter = new Emitter<ProjectionEvents>();
  if (options.onAlert !== undefined) emitter.on('alert', options.onAlert);
  const deps: RebuildDeps = { storage, owner, lease, emitter };
  const rebuildStale = options.rebuildStale ?? true;
  await registerAll(deps, asyncProjections, inlineProjections, rebuildStale);

  const monitorEveryMs = options.monitorEveryMs ?? 1_000;
  const runners = new Map(
    asyncProjections.map((p) => [p.name, new AsyncRunner(p, { ...deps, monitorEveryMs })]),
  );
  const find = (name: string): Projection => {
    const p = byName.get(name);
    if (p === undefined) throw new ProjectionNotFoundError(`projection ${name} (not registered here)`);
    return p;
  };
  // Background rebuilds of stale async projections, started by start() and stopped by stop().
  let rebuilding: BackgroundRebuilds | undefined;

  return {
    storage,
    owner,
    start() {
      for (const runner of runners.values()) runner.start();
      if (rebuildStale && asyncProjections.length > 0 && rebuilding === undefined) {
        rebuilding = rebuildStaleInBackground(deps, asyncProjections);
      }
    },
    async stop() {
      const background = rebuilding;
      rebuilding = undefined;
      background?.stop.abort();
      await Promise.all([...runners.values()].map((r) => r.stop()));
      await background?.done;
    },
    async rebuild(name, rebuildOptions) {
      return rebuildProjection(deps, find(name), rebuildOptions);
    },
    async waitFor(name, position, waitOptions = {}) {
      const projection = find(name);
      if (!asyncProjections.includes(projection)) return;
      await waitForCheckpoint(storage, emitter, name, position, waitOptions.timeoutMs ?? 10_000);
    },
    async status(name) {
      const statuses = await readStatus(storage, name === undefined ? {} : { name });
      return statuses.map((s) => ({
        ...s,
        local: runners.get(s.name)?.state,
        stale: (byName.get(s.name)?.version ?? s.version) !== s.version,
      }));
    },
    documents<T extends object = Record<string, unknown>>(collection: string) {
      return documentReader<T>(storage, collection);
    },
    listDeadLetters(query = {}) {
      return storage.read((tx) => tx.listDeadLetters({ limit: 100, ...query }));
    },
    retryDeadLetter: (id) => carryOutOrRequest(storage, runners, id, 'retry'),
    skipDeadLetter: (id) => carryOutOrRequest(storage, runners, id, 'skip'),
    on: (event, listener) => emitter.on(event, listener),
  };
}

/** The definitions, upcasting when a schema registry is given; a name registered twice is refused. */
function definitionsOf(options: ProjectionsOptions): {
  asyncProjections: Projection[];
  inlineProjections: Projection[];
  byName: Map<string, Projection>;
} {
  const schemas = options.schemas;
  const prepare = (p: Projection) => (schemas === undefined ? p : upcasting(p, schemas));
  const asyncProjections = (options.async ?? []).map(prepare);
  const inlineProjections = (options.inline ?? []).map(prepare);
  const names = [...asyncProjections, ...inlineProjections].map((p) => p.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'projections',
      `Projection ${twice} is registered twice`,
    );
  }
  const byName = new Map([...asyncProjections, ...inlineProjections].map((p) => [p.name, p]));
  return { asyncProjections, inlineProjections, byName };
}

/**
 * Registers every projection, installs the inline ones and builds those that need it before the
 * store's next append (a new inline projection; one whose version changed, with `rebuildStale`).
 */
async function registerAll(
  deps: RebuildDeps,
  asyncProjections: readonly Projection[],
  inlineProjections: readonly Projection[],
  rebuildStale: boolean,
): Promise<void> {
  const { storage } = deps;
  const toBuild: Projection[] = [];
  for (const projection of asyncProjections) await registerProjection(storage, projection, 'async');
  for (const projection of inlineProjections) {
    const registration = await registerProjection(storage, projection, 'inline');
    if (registration.needsBuild || (registration.newer && rebuildStale)) toBuild.push(projection);
  }
  installInlineProjections(storage, inlineProjections);
  for (const projection of toBuild) {
    if ((await storage.head()) === 0n) continue;
    try {
      await rebuildProjection(deps, projection);
    } catch (error) {
      // Another process is building it; meanwhile this one keeps the live generation current.
      if (!isFactumError(error, ErrorCodes.LOCK_HELD)) throw error;
    }
  }
}

/** A dead-letter action: by this process's active runner at once, else left for whoever runs it. */
async function carryOutOrRequest(
  storage: ProjectionStorage,
  runners: ReadonlyMap<string, AsyncRunner>,
  id: number,
  action: 'retry' | 'skip',
): Promise<DeadLetterActionResult> {
  const letter = await storage.read((tx) => tx.getDeadLetter(id));
  if (letter === undefined) throw new ProjectionNotFoundError(`dead letter ${id}`);
  const result = await runners.get(letter.projection)?.carryOut(id, action);
  if (result !== undefined) return result;
  await requestDeadLetterAction(storage, id, action);
  return { id, action, outcome: 'requested', released: 0 };
}

interface BackgroundRebuilds {
  stop: AbortController;
  done: Promise<unknown>;
}

/** Rebuilds the async projections whose live generation an older version built; errors go to 'error'. */
function rebuildStaleInBackground(
  deps: RebuildDeps,
  asyncProjections: readonly Projection[],
): BackgroundRebuilds {
  const { storage, emitter } = deps;
  const stop = new AbortController();
  const report = (projection: string | undefined, error: unknown) => {
    const err = error instanceof Error ? error : new Error(String(error));
    emitter.emit('error', { projection: projection ?? '', error: err });
  };
  const rebuildOne = (projection: Projection) =>
    rebuildProjection(deps, projection, { signal: stop.signal }).catch((error: unknown) => {
      // Another process is rebuilding it, or stop() ended this one: nothing to report.
      if (isFactumError(error, ErrorCodes.LOCK_HELD) || stop.signal.aborted) return;
      report(projection.name, error);
    });
  const done = storage
    .read((tx) => tx.listProjections())
    .then(
      (records) => {
        // Only forward: an instance of an older version (a rolling deploy) never rebuilds back.
        const stale = asyncProjections.filter((p) =>
          records.some((r) => r.name === p.name && r.version < p.version),
        );
        return Promise.all(stale.map(rebuildOne));
      },
      (error: unknown) => report(undefined, error),
    );
  return { stop, done };
}

/** The same projection, handed events upcast to their current schema version. */
function upcasting(projection: Projection, schemas: SchemaRegistry): Projection {
  return Object.freeze({
    ...projection,
    handle: (event: StoredEvent, tx: ProjectionTx) => projection.handle(schemas.upcast(event), tx),
    keyOf: (event: StoredEvent) => projection.keyOf(schemas.upcast(event)),
  });
}

/** Polls the live checkpoint, woken early by this process's runners; throws WaitTimeoutError at the deadline. */
async function waitForCheckpoint(
  storage: ProjectionStorage,
  emitter: Emitter<ProjectionEvents>,
  name: string,
  position: bigint,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let reached = 0n;
  const waker = new Waker();
  const off = emitter.on('checkpoint', (c) => {
    if (c.projection === name && c.position >= position) waker.wake();
  });
  try {
    for (;;) {
      waker.reset();
      reached = await storage.read(async (tx) => {
        const record = await tx.getProjection(name);
        if (record === undefined) throw new ProjectionNotFoundError(`projection ${name}`);
        return (await tx.getCheckpoint(projectionCheckpoint(name, record.liveGeneration))) ?? 0n;
      });
      if (reached >= position) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new WaitTimeoutError(
          `projection ${name} to reach position ${position} (it is at ${reached})`,
          timeoutMs,
        );
      }
      await waker.idle(Math.min(left, 100), undefined);
    }
  } finally {
    off();
  }
}
