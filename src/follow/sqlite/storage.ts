import type Database from 'better-sqlite3';
import { TransactionClosedError } from '../../core/errors.js';
import { type SqliteEventStore, translate, writeTransaction } from '../../stores/sqlite/kit.js';
import type { FollowStorage, FollowTx, LeaseRecord } from '../storage.js';
import { ensureFollowMigrations } from './migrations/index.js';
import { deleteCheckpoint, getCheckpoint, setCheckpoint } from './sql/checkpoints.js';
import { getLease, putLease } from './sql/leases.js';

/**
 * A better-sqlite3 connection, or anything that has one: a SqliteEventStore (whose connection and
 * gated transactions are used), or an object with a `database`.
 */
export type SqliteFollowHandle = Database.Database | { readonly database: Database.Database };

/**
 * Leases and checkpoints in one SQLite connection's `factum_leases` and `factum_checkpoints`. The
 * operations of a transaction; `SqliteStorageTx` (projections) extends it with the read model's.
 */
export class SqliteFollowTx implements FollowTx {
  readonly #db: Database.Database;
  #open = true;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** The connection while the transaction is open; TransactionClosedError after. */
  protected conn(operation: string): Database.Database {
    if (!this.#open) throw new TransactionClosedError(operation);
    return this.#db;
  }

  /** Refuses every later use (the task that got this tx has settled). */
  close(): void {
    this.#open = false;
  }

  async getLease(name: string): Promise<LeaseRecord | undefined> {
    return getLease(this.conn('read a lease'), name);
  }

  async putLease(lease: LeaseRecord): Promise<void> {
    putLease(this.conn('write a lease'), lease);
  }

  async getCheckpoint(name: string): Promise<bigint | undefined> {
    return getCheckpoint(this.conn('read a checkpoint'), name);
  }

  async setCheckpoint(name: string, position: bigint): Promise<void> {
    setCheckpoint(this.conn('save a checkpoint'), name, position, Date.now());
  }

  async deleteCheckpoint(name: string): Promise<void> {
    deleteCheckpoint(this.conn('delete a checkpoint'), name);
  }
}

/** Runs `task` with a tx made by `make`, closed once the task has settled. */
export async function runWithTx<Tx extends SqliteFollowTx, T>(
  tx: Tx,
  task: (tx: Tx) => Promise<T>,
): Promise<T> {
  try {
    return await task(tx);
  } finally {
    tx.close();
  }
}

function isStore(handle: SqliteFollowHandle): handle is SqliteEventStore {
  return (
    'database' in handle &&
    typeof (handle as SqliteEventStore).transaction === 'function' &&
    typeof (handle as SqliteEventStore).read === 'function'
  );
}

const perHandle = new WeakMap<object, FollowStorage>();

/**
 * The follow storage of a SQLite store or connection (one per handle). On a store, transactions are
 * the store's own (`store.transaction`), serialised with its appends and projections; on a bare
 * connection, `BEGIN IMMEDIATE` transactions, refused while someone else's transaction is open on it.
 * One writer for the whole file: every transaction excludes every other, whatever its scope.
 */
export function sqliteFollowStorage(handle: SqliteFollowHandle): FollowStorage {
  let storage = perHandle.get(handle);
  if (storage === undefined) {
    ensureFollowMigrations(handle);
    storage = isStore(handle)
      ? storeStorage(handle)
      : connectionStorage('database' in handle ? handle.database : handle);
    perHandle.set(handle, storage);
  }
  return storage;
}

function storeStorage(store: SqliteEventStore): FollowStorage {
  return {
    dialect: 'sqlite',
    // Leases and checkpoints are derived state: a power loss may take the newest commits back to an
    // older checkpoint, from which a follower handles again what it already handled (every follower
    // is idempotent there), so they commit without an fsync of their own; the next durable append
    // syncs them with it.
    transaction: (task) =>
      store.transaction((db) => runWithTx(new SqliteFollowTx(db), task), { durable: false }),
    read: (task) => store.read((db) => runWithTx(new SqliteFollowTx(db), task)),
    now: () => Date.now(),
  };
}

function connectionStorage(db: Database.Database): FollowStorage {
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };
  return {
    dialect: 'sqlite',
    transaction: (task) =>
      serialised(() =>
        writeTransaction(db, 'run a follower transaction', (conn) =>
          runWithTx(new SqliteFollowTx(conn), task),
        ),
      ),
    read: (task) =>
      serialised(async () => {
        try {
          return await runWithTx(new SqliteFollowTx(db), task);
        } catch (error) {
          throw error instanceof Error ? translate(error, 'read follower state') : error;
        }
      }),
    now: () => Date.now(),
  };
}
