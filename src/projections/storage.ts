import type { StoredEvent } from '../core/envelope.js';
import type { EventStore } from '../core/store.js';
import type { CollectionOptions, ProjectionTx } from './types.js';

/**
 * The storage seam of projections: everything the runners, rebuilds, dead-letter handling and leases
 * need from a database, and nothing they do on top of it. SQLite (./sqlite/) and process memory
 * (./memory/) implement it today; a PostgreSQL implementation fills the same interface and must pass
 * the same conformance suite (describeProjectionStorageContract in factum/testing).
 *
 * Rules every implementation keeps:
 * 1. `transaction` is atomic: all writes made through its StorageTx commit together or not at all.
 *    Transactions with the same `scope` (a projection's name) are serialised with respect to each
 *    other, and a transaction without a scope with respect to all others (SQLite: one writer for
 *    everything; PostgreSQL: transaction-scoped advisory locks, one per projection plus a shared one
 *    for the whole schema, taken first thing in each transaction).
 * 2. `read` sees committed state only.
 * 3. Read-model objects of a generation have physical names of their own; `publishGeneration` makes
 *    readers' plain names (views) point to that generation within the transaction.
 * 4. Positions are the store's opaque bigint positions; checkpoints store them losslessly.
 */
export interface ProjectionStorage {
  readonly dialect: 'sqlite' | 'postgres' | 'memory';
  /** The event store whose log the projections read. */
  readonly store: EventStore;
  /**
   * Runs `task` in one write transaction. With a `scope` (a projection's name) it excludes only the
   * transactions of that scope (and those without one); without, it excludes every other transaction.
   */
  transaction<T>(task: (tx: StorageTx) => Promise<T>, scope?: string): Promise<T>;
  /** Runs `task` against committed state (no writes). */
  read<T>(task: (tx: StorageTx) => Promise<T>): Promise<T>;
  /** Position of the last committed event (0n when the log is empty). */
  head(): Promise<bigint>;
  /** How many events the log holds after `position`. */
  countEventsAfter(position: bigint): Promise<number>;
  /** Milliseconds since the epoch by the storage's clock (leases compare against it). */
  now(): number;
  /**
   * Session locks (PostgreSQL: advisory locks held by one connection of this process), which the
   * database releases by itself when the holder's connection ends. Absent where there are none.
   */
  readonly sessionLocks?: SessionLocks;
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

export interface ProjectionRecord {
  name: string;
  mode: 'async' | 'inline';
  version: number;
  /** The generation readers see. */
  liveGeneration: number;
  /** The generation a rebuild is writing, if one is under way. */
  buildingGeneration: number | null;
  slaMaxLagMs: number | null;
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

export interface LeaseRecord {
  name: string;
  owner: string;
  /** Grows by one on every change of holder (fencing token). */
  token: number;
  acquiredAt: number;
  renewedAt: number;
  expiresAt: number;
}

/** The operations available inside `transaction` and `read` (writes only inside `transaction`). */
export interface StorageTx {
  getProjection(name: string): Promise<ProjectionRecord | undefined>;
  listProjections(): Promise<ProjectionRecord[]>;
  putProjection(record: Omit<ProjectionRecord, 'createdAt' | 'updatedAt'>): Promise<void>;
  /** Records that `projection` owns these read-model names; throws ValidationError if another projection does. */
  claimObjects(
    projection: string,
    objects: readonly { name: string; kind: 'documents' | 'table' }[],
  ): Promise<void>;
  /** The projection that owns a read-model name. */
  ownerOf(name: string): Promise<string | undefined>;

  getCheckpoint(projection: string, generation: number): Promise<bigint | undefined>;
  setCheckpoint(projection: string, generation: number, position: bigint): Promise<void>;
  deleteCheckpoint(projection: string, generation: number): Promise<void>;

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

  getLease(name: string): Promise<LeaseRecord | undefined>;
  putLease(lease: LeaseRecord): Promise<void>;
}

export interface SessionLocks {
  /** Takes the named lock for this process; undefined while another process (or this one) holds it. */
  tryLock(name: string): Promise<SessionLock | undefined>;
}

export interface SessionLock {
  /** Whether the lock is still held: false once its connection is gone (the database released it). */
  alive(): Promise<boolean>;
  /** Gives the lock up (a no-op once it is lost). */
  release(): Promise<void>;
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
