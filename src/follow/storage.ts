/**
 * The storage seam of followers: everything that follows the global log (or an outbox) from a saved
 * position with one active instance — projection runners, rebuilds, relays — keeps its lease and its
 * checkpoint here, in one lease table and one checkpoint table per database (`factum_leases`,
 * `factum_checkpoints`). SQLite (./sqlite), PostgreSQL (./postgres) and process memory (./memory)
 * implement it; projection storage extends it, so a projection batch's read-model writes, its
 * checkpoint and its fencing check share one transaction.
 *
 * Rules every implementation keeps:
 * 1. `transaction` is atomic. Transactions with the same `scope` are serialised with respect to each
 *    other, and a transaction without a scope with respect to all others (SQLite: one writer for the
 *    file; PostgreSQL: transaction-scoped advisory locks taken first thing in each transaction).
 * 2. `read` sees committed state only.
 * 3. Positions are the store's opaque bigint positions, stored losslessly.
 * 4. `now()` is the clock every holder of a lease compares expiry against (PostgreSQL: the database's).
 */
export interface FollowStorage<Tx extends FollowTx = FollowTx> {
  readonly dialect: 'sqlite' | 'postgres' | 'memory';
  /**
   * Runs `task` in one write transaction. With a `scope` it excludes only the transactions of that
   * scope (and those without one); without, it excludes every other transaction.
   */
  transaction<T>(task: (tx: Tx) => Promise<T>, scope?: string): Promise<T>;
  /** Runs `task` against committed state (no writes). */
  read<T>(task: (tx: Tx) => Promise<T>): Promise<T>;
  /** Milliseconds since the epoch by the storage's clock (leases compare against it). */
  now(): number;
  /**
   * Session locks (PostgreSQL: advisory locks held by one connection of this process), which the
   * database releases by itself when the holder's connection ends. Absent where there are none.
   */
  readonly sessionLocks?: SessionLocks;
}

/** Leases and checkpoints inside a transaction of a FollowStorage (writes only inside `transaction`). */
export interface FollowTx {
  getLease(name: string): Promise<LeaseRecord | undefined>;
  putLease(lease: LeaseRecord): Promise<void>;
  /** The position saved under `name`, or undefined when there is none. */
  getCheckpoint(name: string): Promise<bigint | undefined>;
  /** Saves `position` under `name`; a position lower than the saved one is ignored (never moves back). */
  setCheckpoint(name: string, position: bigint): Promise<void>;
  deleteCheckpoint(name: string): Promise<void>;
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

/** The position saved under `name`, or 0n when there is none. */
export async function loadCheckpoint(storage: FollowStorage, name: string): Promise<bigint> {
  return (await storage.read((tx) => tx.getCheckpoint(name))) ?? 0n;
}
