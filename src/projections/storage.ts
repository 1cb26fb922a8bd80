import type { StoredEvent } from '../core/envelope.js';
import type { EventStore } from '../core/store.js';
import type { FollowStorage, FollowTx } from '../follow/index.js';
import type { CollectionOptions, ProjectionTx } from './types.js';

export type { LeaseRecord, SessionLock, SessionLocks } from '../follow/index.js';

/**
 * The storage seam of projections: everything the runners, rebuilds and dead-letter handling need
 * from a database, and nothing they do on top of it. It is a follow storage (src/follow/storage.ts:
 * transactions, leases, checkpoints, the clock), extended with the read model. SQLite (./sqlite/),
 * PostgreSQL (./postgres/) and process memory (./memory/) implement it and pass the same
 * conformance suite (describeProjectionStorageContract in factum/testing).
 *
 * Rules every implementation keeps, beyond the follow storage's:
 * 1. `transaction` is atomic: all writes made through its StorageTx (read model, checkpoint, dead
 *    letters, the fencing check's lease) commit together or not at all. A projection's transactions
 *    are scoped to its name.
 * 2. Read-model objects of a generation have physical names of their own; `publishGeneration` makes
 *    readers' plain names (views) point to that generation within the transaction.
 * 3. A projection generation's checkpoint is the follow checkpoint `projectionCheckpoint(name, generation)`.
 * 4. `batch` commits a batch's writes, its dead letters and its checkpoint in one transaction of its
 *    scope, after the fencing check in that same transaction; a throw anywhere writes nothing.
 */
export interface ProjectionStorage extends FollowStorage<StorageTx> {
  /** The event store whose log the projections read. */
  readonly store: EventStore;
  /**
   * Runs one batch of handler calls and commits it: `check` (the fence), `work`, then, in the
   * transaction that commits, the batch's writes and `commit` (the checkpoint). PostgreSQL and memory
   * run it all in one transaction of `scope` (`batchInTransaction`). SQLite runs `work` without the
   * write lock, its document writes buffered (reads see committed state plus the batch's own writes),
   * and takes the lock only to check again and write; a call that needs the lock is deferred to
   * `commit` (see BatchTx.call).
   */
  batch<T>(scope: string, steps: BatchSteps<T>): Promise<BatchResult<T>>;
  /** Position of the last committed event (0n when the log is empty). */
  head(): Promise<bigint>;
  /** How many events the log holds after `position`. */
  countEventsAfter(position: bigint): Promise<number>;
  /**
   * Registers `hook` to run inside every append's transaction with the stored events of that append
   * (inline projections); `scopes` are the projections it writes, excluded (as by `transaction(task,
   * scope)`) for as long as the append's transaction lasts. Returns a function that removes it.
   * Storages that cannot do this throw NotSupportedError.
   */
  addAppendHook(
    hook: (events: readonly StoredEvent[], tx: StorageTx) => Promise<void>,
    scopes: readonly string[],
  ): () => void;
}

/** Who paused a projection, when and why: its runner applies nothing until it is resumed. */
export interface ProjectionPause {
  at: Date;
  by: string;
  reason: string;
}

export interface ProjectionRecord {
  name: string;
  mode: 'async' | 'inline';
  version: number;
  /** The generation readers see. */
  liveGeneration: number;
  /** The generation a rebuild is writing, if one is under way. */
  buildingGeneration: number | null;
  slaMaxLagMs: number | null;
  /** Set while an operator has paused the projection's runner. */
  paused: ProjectionPause | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The read-model objects of one projection generation. */
export interface GenerationLayout {
  projection: string;
  generation: number;
  documents: Readonly<Record<string, CollectionOptions>>;
  tables: readonly string[];
}

export interface DeadLetterError {
  message: string;
  stack: string | null;
}

export interface DeadLetter {
  id: number;
  projection: string;
  generation: number;
  /** 'dead': the handler kept failing. 'parked': held behind a dead event of the same ordering key. */
  status: 'dead' | 'parked';
  orderingKey: string | null;
  event: StoredEvent;
  error: DeadLetterError | null;
  attempts: number;
  /** An operator's pending request, carried out by the projection's active runner. */
  action: 'retry' | 'skip' | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewDeadLetter = Omit<DeadLetter, 'id' | 'createdAt' | 'updatedAt' | 'action'>;

export interface DeadLetterQuery {
  projection?: string;
  generation?: number;
  status?: 'dead' | 'parked';
  orderingKey?: string;
  /** Only rows with a pending operator action. */
  withAction?: boolean;
  /** Only rows after this id (paging). */
  afterId?: number;
  limit?: number;
}

/**
 * The operations available inside `transaction` and `read` (writes only inside `transaction`): the
 * follow storage's leases and checkpoints, and the read model's.
 */
export interface StorageTx extends FollowTx {
  getProjection(name: string): Promise<ProjectionRecord | undefined>;
  listProjections(): Promise<ProjectionRecord[]>;
  putProjection(record: Omit<ProjectionRecord, 'createdAt' | 'updatedAt' | 'paused'>): Promise<void>;
  /** Pauses (or, with null, resumes) a projection; false when there is no such projection. */
  setPaused(name: string, paused: ProjectionPause | null): Promise<boolean>;
  /** Records that `projection` owns these read-model names; throws ValidationError if another projection does. */
  claimObjects(
    projection: string,
    objects: readonly { name: string; kind: 'documents' | 'table' }[],
  ): Promise<void>;
  /** The projection that owns a read-model name. */
  ownerOf(name: string): Promise<string | undefined>;

  /** Creates the generation's collections and declared indexes if missing (idempotent; new indexes are added). */
  createGeneration(layout: GenerationLayout): Promise<void>;
  /** Drops every object of the generation. */
  dropGeneration(layout: GenerationLayout): Promise<void>;
  /** Points readers' plain names at this generation. */
  publishGeneration(layout: GenerationLayout): Promise<void>;
  /** The handler's view of the generation: documents, raw tables, raw SQL. */
  projectionTx(layout: GenerationLayout): ProjectionTx;
  /**
   * Reads the global log after `position` from inside this transaction, seeing every committed event.
   * Only complete while appends that could land before the last event read are excluded: SQLite's
   * write lock does that for every transaction; on PostgreSQL it holds for an inline projection's
   * scope (appends that run it take the same lock), not for async projections, which read through
   * the store's gap-safe `readAll`.
   */
  readCommittedLog(after: bigint, limit: number): Promise<{ events: StoredEvent[]; last: bigint }>;
  /** Runs `task`; if it throws, undoes only what it wrote and rethrows. */
  savepoint<T>(task: () => Promise<T>): Promise<T>;

  addDeadLetter(letter: NewDeadLetter): Promise<number>;
  getDeadLetter(id: number): Promise<DeadLetter | undefined>;
  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetter[]>;
  updateDeadLetter(
    id: number,
    changes: Partial<Pick<DeadLetter, 'status' | 'error' | 'attempts' | 'action'>>,
  ): Promise<void>;
  deleteDeadLetter(id: number): Promise<void>;
  deleteDeadLetters(projection: string, generation: number): Promise<void>;
  /** Ordering keys with a dead or parked event: later events with these keys must be parked. */
  blockedKeys(projection: string, generation: number): Promise<Set<string>>;
  countDeadLetters(projection: string, generation: number): Promise<{ dead: number; parked: number }>;
}

/** What a batch's `work` applies events through (ProjectionStorage.batch). */
export interface BatchTx {
  /** The handler's view of the generation: its writes are the batch's. */
  projectionTx(layout: GenerationLayout): ProjectionTx;
  /** Committed ordering keys with a dead or parked event (as StorageTx.blockedKeys). */
  blockedKeys(projection: string, generation: number): Promise<Set<string>>;
  /** Adds a dead letter with the batch's commit; the batch's result gives its id. */
  addDeadLetter(letter: NewDeadLetter): Promise<void>;
  /**
   * Runs one handler call. 'deferred' when the call needed what only the write transaction can
   * answer (SQLite: `find` or `count` on a collection with buffered writes, raw SQL, a very large
   * buffer): what it wrote is taken back, and it must be made again, with the rest of the batch,
   * in `commit` through `direct`. Anything else the handler throws passes through.
   */
  call(handler: () => Promise<void> | undefined): Promise<'done' | 'deferred'>;
}

export interface BatchSteps<T> {
  /** The fence: throws when this writer must stop. Runs before `work` and in the committing transaction. */
  check(tx: StorageTx): Promise<void>;
  /** Applies the batch. A throw ends the batch with nothing written. */
  work(tx: BatchTx): Promise<T>;
  /**
   * In the committing transaction, after `check` and the batch's writes: save the checkpoint, and
   * make the calls `work` deferred through `direct`, which writes straight into this transaction.
   */
  commit(tx: StorageTx, value: T, direct: BatchTx): Promise<void>;
}

export interface BatchResult<T> {
  value: T;
  /** Ids of the dead letters the batch added, in the order they were added. */
  deadLetters: number[];
}

const BRAND = Symbol.for('factum.projectionStorage');
const perStore = new WeakMap<object, ProjectionStorage>();

/**
 * The one storage of `store`, made (and branded) by `create` on first use: everything that works on
 * the store shares its in-process queues, hooks and locks.
 */
export function storageOf(store: object, create: () => ProjectionStorage): ProjectionStorage {
  let storage = perStore.get(store);
  if (storage === undefined) {
    storage = brandStorage(create());
    perStore.set(store, storage);
  }
  return storage;
}

/** One page of the store's log as `StorageTx.readCommittedLog` returns it (for storages whose readAll sees every event). */
export async function readLogPage(
  store: EventStore,
  after: bigint,
  limit: number,
): Promise<{ events: StoredEvent[]; last: bigint }> {
  const page = await store.readAll({ after, limit });
  return { events: [...page.events], last: page.last };
}

/** Marks an object as a ProjectionStorage (so APIs can accept a store or a storage). */
export function brandStorage<S extends ProjectionStorage>(storage: S): S {
  Object.defineProperty(storage, BRAND, { value: true });
  return storage;
}

export function isProjectionStorage(value: unknown): value is ProjectionStorage {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * How runners and rebuilds read the log ahead (follow's `prefetch`): where reads wait on a server,
 * the next page is read once a batch's checks are done (see applyEvents), so its reply is parsed
 * while the database writes the batch; a SQLite read runs on this thread anyway, and a second page
 * in hand only costs memory.
 */
export function readAheadOf(storage: ProjectionStorage): false | 'when-asked' {
  return storage.dialect !== 'sqlite' && 'when-asked';
}
