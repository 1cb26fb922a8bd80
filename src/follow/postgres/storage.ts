import type { Pool, PoolClient } from 'pg';
import { LeaseLostError, StoreClosedError, TransactionClosedError } from '../../core/errors.js';
import { type SchemaNames, schemaNames, withTransaction } from '../../stores/postgres/kit.js';
import type { FollowStorage, FollowTx, LeaseRecord } from '../storage.js';
import { ensureFollowMigrations } from './migrations/index.js';
import { PostgresSessionLocks } from './session-locks.js';
import { deleteCheckpoint, getCheckpoint, setCheckpoint } from './sql/checkpoints.js';
import { getLease, putLease } from './sql/leases.js';
import { lockScopes } from './sql/lock-scopes.js';
import type { Queryable } from './sql/queryable.js';

/**
 * Where the follower tables are: a pool and the schema holding Factum's tables (default 'factum').
 * A PostgresEventStore is one (it also tells when it closed, and runs hooks on close).
 */
export interface PostgresFollowHandle {
  readonly pool: Pool;
  readonly schema?: string;
  readonly closed?: boolean;
  onClose?(hook: () => Promise<void> | void): () => void;
}

/** The follower tables of one schema. */
export interface FollowTables {
  readonly schema: SchemaNames;
  readonly leases: string;
  readonly checkpoints: string;
}

export function followTables(names: SchemaNames): FollowTables {
  return {
    schema: names,
    leases: `${names.quoted}.factum_leases`,
    checkpoints: `${names.quoted}.factum_checkpoints`,
  };
}

/**
 * Leases and checkpoints through one client inside a transaction. `PostgresStorageTx` (projections)
 * extends it with the read model's operations.
 */
export class PostgresFollowTx implements FollowTx {
  readonly #client: PoolClient;
  readonly #tables: FollowTables;
  #open = true;

  constructor(client: PoolClient, tables: FollowTables) {
    this.#client = client;
    this.#tables = tables;
  }

  /** The client while the transaction is open; TransactionClosedError after. */
  protected conn(operation: string): Queryable {
    if (!this.#open) throw new TransactionClosedError(operation);
    return this.#client;
  }

  /** Runs once the task has succeeded, before COMMIT (subclasses send what they buffered). */
  async finish(): Promise<void> {}

  /** Refuses every later use (the task that got this tx has settled). */
  close(): void {
    this.#open = false;
  }

  getLease(name: string): Promise<LeaseRecord | undefined> {
    return getLease(this.conn('read a lease'), this.#tables.leases, name);
  }

  putLease(lease: LeaseRecord): Promise<void> {
    return putLease(this.conn('write a lease'), this.#tables.leases, lease);
  }

  getCheckpoint(name: string): Promise<bigint | undefined> {
    return getCheckpoint(this.conn('read a checkpoint'), this.#tables.checkpoints, name);
  }

  setCheckpoint(name: string, position: bigint): Promise<void> {
    return setCheckpoint(this.conn('save a checkpoint'), this.#tables.checkpoints, name, position);
  }

  deleteCheckpoint(name: string): Promise<void> {
    return deleteCheckpoint(this.conn('delete a checkpoint'), this.#tables.checkpoints, name);
  }
}

/** Runs `task` with `tx`, then what it buffered (`finish`); the tx refuses every use once settled. */
export async function runFollowTx<Tx extends PostgresFollowTx, T>(
  tx: Tx,
  task: (tx: Tx) => Promise<T>,
): Promise<T> {
  try {
    const result = await task(tx);
    await tx.finish();
    return result;
  } finally {
    tx.close();
  }
}

const UNDEFINED_TABLE = '42P01';
const MAX_READ_ATTEMPTS = 3;

export interface PostgresTransactionsOptions {
  /**
   * The clock leases and lag compare against (ms since the epoch). Default: the database's clock,
   * as this process's clock plus an offset measured at every write transaction (and at the first
   * read), so processes on hosts whose clocks disagree still agree on lease expiry.
   */
  now?: () => number;
  /**
   * Makes sure the tables exist before the first transaction (applied, or checked on a store opened
   * without `migrate: true`). Default: the follow kit's own migrations.
   */
  ensure?: () => Promise<void>;
}

/**
 * The transactions of follower storage on one schema, shared by the follow storage and projection
 * storage: write transactions take the scope locks first (lockScopes), reads are read-only snapshots;
 * in this process, transactions queue in order per scope and one without a scope waits for all (so
 * waiting transactions do not hold pooled connections), while advisory locks order processes.
 */
export class PostgresTransactions<Tx extends PostgresFollowTx> {
  readonly names: SchemaNames;
  readonly sessionLocks: PostgresSessionLocks;
  readonly #handle: PostgresFollowHandle;
  readonly #makeTx: (client: PoolClient) => Tx;
  readonly #now: (() => number) | undefined;
  readonly #ensure: () => Promise<void>;
  /** Database clock minus this process's clock (ms), once measured. */
  #clockOffset: number | undefined;
  #exclusive: Promise<unknown> = Promise.resolve();
  readonly #scoped = new Map<string, Promise<unknown>>();
  readonly #running = new Set<Promise<unknown>>();

  constructor(
    handle: PostgresFollowHandle,
    makeTx: (client: PoolClient) => Tx,
    options: PostgresTransactionsOptions = {},
  ) {
    this.#handle = handle;
    this.names = schemaNames(handle.schema ?? 'factum');
    this.#makeTx = makeTx;
    this.#now = options.now;
    this.#ensure = options.ensure ?? (() => ensureFollowMigrations(handle));
    this.sessionLocks = new PostgresSessionLocks(
      handle.pool,
      this.names.schema,
      () => handle.closed === true,
    );
    // Locks are held on a connection of their own: closing the store ends them (their holders then stop).
    handle.onClose?.(() => this.sessionLocks.releaseAll());
  }

  transaction<T>(task: (tx: Tx) => Promise<T>, scope?: string): Promise<T> {
    const before =
      scope === undefined ? [this.#exclusive, ...this.#running] : [this.#exclusive, this.#scoped.get(scope)];
    const run = Promise.allSettled(before).then(() =>
      this.#run('BEGIN', scope === undefined ? null : [scope], task),
    );
    const settled = run.then(
      () => {},
      () => {},
    );
    if (scope === undefined) {
      this.#exclusive = settled;
    } else {
      this.#scoped.set(scope, settled);
      this.#running.add(settled);
      void settled.then(() => {
        this.#running.delete(settled);
        if (this.#scoped.get(scope) === settled) this.#scoped.delete(scope);
      });
    }
    return run;
  }

  /**
   * A read-only snapshot: every statement of `task` sees the same committed state; never waits for
   * writers. A read that resolved a table just before a transaction dropped it (a projection's
   * generation swapped) finds it gone (undefined_table): it runs again, against the new state.
   */
  async read<T>(task: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', undefined, task);
      } catch (error) {
        if (attempt >= MAX_READ_ATTEMPTS || (error as { code?: unknown }).code !== UNDEFINED_TABLE)
          throw error;
      }
    }
  }

  now(): number {
    if (this.#now !== undefined) return this.#now();
    return Date.now() + (this.#clockOffset ?? 0);
  }

  /** The database clock as just read: the reply took a moment to arrive, which is within a millisecond here. */
  observeClock(databaseNow: number): void {
    if (Number.isFinite(databaseNow)) this.#clockOffset = Math.round(databaseNow - Date.now());
  }

  /** `locks`: the scopes to lock (null: the whole schema), or undefined for a read. */
  async #run<T>(
    begin: string,
    locks: readonly string[] | null | undefined,
    task: (tx: Tx) => Promise<T>,
  ): Promise<T> {
    const write = locks !== undefined;
    const operation = write ? 'run a follower transaction' : 'read follower state';
    // The store's pool ends with it: a connection asked for now might never come.
    if (this.#handle.closed === true) throw new StoreClosedError(operation);
    await this.#ensure();
    return withTransaction(
      this.#handle.pool,
      operation,
      async (client) => {
        if (write) {
          this.observeClock(await lockScopes(client, this.names, locks));
        } else if (this.#clockOffset === undefined && this.#now === undefined) {
          const { rows } = await client.query<{ now: number }>(
            'SELECT extract(epoch from clock_timestamp())::float8 * 1000 AS now',
          );
          this.observeClock(Number(rows[0]?.now));
        }
        return runFollowTx(this.#makeTx(client), task);
      },
      { begin },
    );
  }
}

/**
 * Fencing inside a transaction of someone else's (an outbox claim): throws LeaseLostError unless
 * `lease` is the current holding, and keeps the lease row locked (FOR SHARE) until that transaction
 * ends, so a takeover (which updates the row) waits for it to commit.
 */
export async function checkLeaseOn(
  db: Queryable,
  handle: PostgresFollowHandle,
  lease: LeaseRecord,
): Promise<void> {
  const tables = followTables(schemaNames(handle.schema ?? 'factum'));
  const { rows } = await db.query<{ owner: string; token: string }>(
    `SELECT owner, token FROM ${tables.leases} WHERE name = $1 FOR SHARE`,
    [lease.name],
  );
  const row = rows[0];
  if (row === undefined || row.owner !== lease.owner || Number(row.token) !== lease.token) {
    throw new LeaseLostError(lease.name, lease.owner);
  }
}

const perStore = new WeakMap<object, FollowStorage>();
const perPool = new WeakMap<Pool, Map<string, FollowStorage>>();

/**
 * The follow storage of a PostgreSQL store (one per store, ending with it) or of a plain pool and
 * schema (one per pool and schema): leases and checkpoints in `<schema>.factum_leases` and
 * `<schema>.factum_checkpoints`, session advisory locks for the 'advisory' lease strategy, and the
 * database clock.
 */
export function postgresFollowStorage(handle: PostgresFollowHandle): FollowStorage {
  const names = schemaNames(handle.schema ?? 'factum');
  const isStore = typeof handle.onClose === 'function';
  let byPool = perPool.get(handle.pool);
  if (!isStore && byPool === undefined) {
    byPool = new Map();
    perPool.set(handle.pool, byPool);
  }
  let storage = isStore ? perStore.get(handle) : byPool!.get(names.schema);
  if (storage === undefined) {
    const tables = followTables(names);
    const transactions = new PostgresTransactions(handle, (client) => new PostgresFollowTx(client, tables));
    storage = {
      dialect: 'postgres',
      transaction: (task, scope) => transactions.transaction(task, scope),
      read: (task) => transactions.read(task),
      now: () => transactions.now(),
      sessionLocks: transactions.sessionLocks,
    };
    if (isStore) perStore.set(handle, storage);
    else byPool!.set(names.schema, storage);
  }
  return storage;
}
