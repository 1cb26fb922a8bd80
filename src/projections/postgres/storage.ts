import type { PoolClient } from 'pg';
import type { StoredEvent } from '../../core/envelope.js';
import { StoreClosedError, TransactionClosedError } from '../../core/errors.js';
import {
  type PostgresEventStore,
  schemaNames,
  translate,
  withTransaction,
} from '../../stores/postgres/kit.js';
import {
  brandStorage,
  type DeadLetter,
  type DeadLetterQuery,
  type GenerationLayout,
  type LeaseRecord,
  type NewDeadLetter,
  type ProjectionRecord,
  type ProjectionStorage,
  type StorageTx,
  storageOf,
} from '../storage.js';
import type { ProjectionTx } from '../types.js';
import { PostgresProjectionTx } from './documents.js';
import { ensureProjectionMigrations } from './migrations/index.js';
import { PostgresSessionLocks } from './session-locks.js';
import { addDeadLetter } from './sql/add-dead-letter.js';
import { blockedKeys } from './sql/blocked-keys.js';
import { claimObjects } from './sql/claim-objects.js';
import { countDeadLetters } from './sql/count-dead-letters.js';
import { countEventsAfter } from './sql/count-events-after.js';
import { createGeneration } from './sql/create-generation.js';
import { deleteCheckpoint } from './sql/delete-checkpoint.js';
import { deleteDeadLetter } from './sql/delete-dead-letter.js';
import { deleteDeadLetters } from './sql/delete-dead-letters.js';
import { dropGeneration } from './sql/drop-generation.js';
import { getCheckpoint } from './sql/get-checkpoint.js';
import { getDeadLetter } from './sql/get-dead-letter.js';
import { getLease } from './sql/get-lease.js';
import { headPosition } from './sql/head-position.js';
import { listDeadLetters } from './sql/list-dead-letters.js';
import { listProjections } from './sql/list-projections.js';
import { lockProjections } from './sql/lock-projections.js';
import { ownerOf } from './sql/owner-of.js';
import { getProjection } from './sql/projection-record.js';
import { publishGeneration } from './sql/publish-generation.js';
import { putLease } from './sql/put-lease.js';
import { putProjection } from './sql/put-projection.js';
import { readCommittedLog } from './sql/read-committed-log.js';
import { setCheckpoint } from './sql/set-checkpoint.js';
import { type ProjectionTables, projectionTables, type Queryable } from './sql/tables.js';
import { updateDeadLetter } from './sql/update-dead-letter.js';
import { WriteBuffer } from './write-buffer.js';

export interface PostgresProjectionStorageOptions {
  /**
   * The clock leases and lag compare against (ms since the epoch). Default: the database's clock,
   * as this process's clock plus an offset measured at every write transaction (and at the first
   * read), so processes on hosts whose clocks disagree still agree on lease expiry, and lag is
   * measured against the clock that stamped the events.
   */
  now?: () => number;
}

const UNDEFINED_TABLE = '42P01';
const MAX_READ_ATTEMPTS = 3;

/**
 * Projection storage in the PostgreSQL store's own database and schema (migrations 0005-0007,
 * applied or checked before its first statement): read models as jsonb documents, checkpoints, dead
 * letters and lease rows, each batch's writes and its checkpoint in one transaction. Without
 * options, one storage per store.
 */
export function postgresProjectionStorage(
  store: PostgresEventStore,
  options: PostgresProjectionStorageOptions = {},
): ProjectionStorage {
  if (options.now !== undefined) return brandStorage(new PostgresProjectionStorage(store, options));
  return storageOf(store, () => new PostgresProjectionStorage(store, options));
}

class PostgresProjectionStorage implements ProjectionStorage {
  readonly dialect = 'postgres';
  readonly store: PostgresEventStore;
  readonly sessionLocks: PostgresSessionLocks;
  readonly #tables: ProjectionTables;
  readonly #now: (() => number) | undefined;
  /** Database clock minus this process's clock (ms), once measured. */
  #clockOffset: number | undefined;
  /**
   * In this process, transactions queue in order per scope, and one without a scope waits for all
   * (so waiting transactions do not hold pooled connections); advisory locks order processes.
   */
  #exclusive: Promise<unknown> = Promise.resolve();
  readonly #scoped = new Map<string, Promise<unknown>>();
  readonly #running = new Set<Promise<unknown>>();
  /** Inline projections: the append hooks and the projections they write. */
  readonly #appendHooks = new Set<{
    hook: (events: readonly StoredEvent[], tx: StorageTx) => Promise<void>;
    scopes: readonly string[];
  }>();
  #removeStoreHook: (() => void) | undefined;

  constructor(store: PostgresEventStore, options: PostgresProjectionStorageOptions) {
    this.store = store;
    this.#tables = projectionTables(schemaNames(store.schema));
    this.#now = options.now;
    this.sessionLocks = new PostgresSessionLocks(store.pool, store.schema, () => store.closed);
    // Locks are held on a connection of their own: closing the store ends them (the runners then stop).
    store.onClose(() => this.sessionLocks.releaseAll());
  }

  transaction<T>(task: (tx: StorageTx) => Promise<T>, scope?: string): Promise<T> {
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
   * writers. A read that resolved the live generation just before a swap dropped it finds its table
   * gone (undefined_table): it runs again, against the new generation.
   */
  async read<T>(task: (tx: StorageTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', undefined, task);
      } catch (error) {
        if (attempt >= MAX_READ_ATTEMPTS || (error as { code?: unknown }).code !== UNDEFINED_TABLE)
          throw error;
      }
    }
  }

  /** `locks`: the scopes to lock (null: the whole schema), or undefined for a read. */
  async #run<T>(
    begin: string,
    locks: readonly string[] | null | undefined,
    task: (tx: StorageTx) => Promise<T>,
  ): Promise<T> {
    const write = locks !== undefined;
    const operation = write ? 'run a projection transaction' : 'read projection state';
    // The store's pool ends with it: a connection asked for now might never come.
    if (this.store.closed) throw new StoreClosedError(operation);
    await ensureProjectionMigrations(this.store);
    return withTransaction(
      this.store.pool,
      operation,
      async (client) => {
        if (write) {
          this.#observeClock(await lockProjections(client, this.#tables, locks));
        } else if (this.#clockOffset === undefined && this.#now === undefined) {
          const { rows } = await client.query<{ now: number }>(
            'SELECT extract(epoch from clock_timestamp())::float8 * 1000 AS now',
          );
          this.#observeClock(Number(rows[0]?.now));
        }
        return PostgresStorageTx.run(client, this.#tables, task);
      },
      { begin },
    );
  }

  async head(): Promise<bigint> {
    if (this.store.closed) throw new StoreClosedError('read the head of the log');
    await ensureProjectionMigrations(this.store);
    try {
      return await headPosition(this.store.pool, this.#tables);
    } catch (error) {
      throw translate(error, 'read the head of the log');
    }
  }

  async countEventsAfter(position: bigint): Promise<number> {
    if (this.store.closed) throw new StoreClosedError(`count the events after position ${position}`);
    await ensureProjectionMigrations(this.store);
    try {
      return await countEventsAfter(this.store.pool, this.#tables, position);
    } catch (error) {
      throw translate(error, `count the events after position ${position}`);
    }
  }

  now(): number {
    if (this.#now !== undefined) return this.#now();
    return Date.now() + (this.#clockOffset ?? 0);
  }

  /** The database clock as just read: the reply took a moment to arrive, which is within a millisecond here. */
  #observeClock(databaseNow: number): void {
    if (Number.isFinite(databaseNow)) this.#clockOffset = Math.round(databaseNow - Date.now());
  }

  /**
   * Inline projections: one hook on the store runs every registered hook in each append transaction.
   * Before the transaction writes any event it locks the projections the hooks write (as a
   * transaction scoped to them would), so appends running inline projections serialise with each
   * other (no lost update of a read model), with those projections' rebuild swaps and with admin
   * transactions, in every process.
   */
  addAppendHook(
    hook: (events: readonly StoredEvent[], tx: StorageTx) => Promise<void>,
    scopes: readonly string[],
  ): () => void {
    const entry = { hook, scopes: [...scopes] };
    this.#appendHooks.add(entry);
    this.#removeStoreHook ??= this.store.addAppendHook({
      begin: async (client) => {
        await ensureProjectionMigrations(this.store);
        const scopes = [...this.#appendHooks].flatMap((h) => h.scopes);
        this.#observeClock(await lockProjections(client, this.#tables, scopes));
      },
      // One StorageTx for the whole transaction: read-model writes are buffered and sent once.
      appended: (appends, client) =>
        PostgresStorageTx.run(client, this.#tables, async (tx) => {
          for (const events of appends) for (const h of this.#appendHooks) await h.hook(events, tx);
        }),
    });
    return () => {
      this.#appendHooks.delete(entry);
      if (this.#appendHooks.size === 0) {
        this.#removeStoreHook?.();
        this.#removeStoreHook = undefined;
      }
    };
  }
}

let savepoints = 0;

class PostgresStorageTx implements StorageTx {
  readonly #client: PoolClient;
  readonly #t: ProjectionTables;
  readonly #buffer: WriteBuffer;
  #open = true;

  /** Runs `task` with a tx that refuses every use once the task has settled. */
  static async run<T>(
    client: PoolClient,
    tables: ProjectionTables,
    task: (tx: StorageTx) => Promise<T>,
  ): Promise<T> {
    const tx = new PostgresStorageTx(client, tables);
    try {
      const result = await task(tx);
      await tx.#buffer.flush();
      return result;
    } finally {
      tx.#open = false;
    }
  }

  private constructor(client: PoolClient, tables: ProjectionTables) {
    this.#client = client;
    this.#t = tables;
    this.#buffer = new WriteBuffer(client);
  }

  readonly #conn = (operation: string): Queryable => {
    if (!this.#open) throw new TransactionClosedError(operation);
    return this.#client;
  };

  async readCommittedLog(after: bigint, limit: number): Promise<{ events: StoredEvent[]; last: bigint }> {
    return readCommittedLog(this.#conn('read the log'), this.#t, after, limit);
  }

  getProjection(name: string): Promise<ProjectionRecord | undefined> {
    return getProjection(this.#conn('read a projection'), this.#t, name);
  }

  listProjections(): Promise<ProjectionRecord[]> {
    return listProjections(this.#conn('list projections'), this.#t);
  }

  putProjection(record: Omit<ProjectionRecord, 'createdAt' | 'updatedAt'>): Promise<void> {
    return putProjection(this.#conn('register a projection'), this.#t, record);
  }

  claimObjects(
    projection: string,
    objects: readonly { name: string; kind: 'documents' | 'table' }[],
  ): Promise<void> {
    return claimObjects(this.#conn('claim read-model names'), this.#t, projection, objects);
  }

  ownerOf(name: string): Promise<string | undefined> {
    return ownerOf(this.#conn('find the owner of a read-model name'), this.#t, name);
  }

  getCheckpoint(projection: string, generation: number): Promise<bigint | undefined> {
    return getCheckpoint(this.#conn('read a checkpoint'), this.#t, projection, generation);
  }

  setCheckpoint(projection: string, generation: number, position: bigint): Promise<void> {
    return setCheckpoint(this.#conn('set a checkpoint'), this.#t, projection, generation, position);
  }

  deleteCheckpoint(projection: string, generation: number): Promise<void> {
    return deleteCheckpoint(this.#conn('delete a checkpoint'), this.#t, projection, generation);
  }

  createGeneration(layout: GenerationLayout): Promise<void> {
    return createGeneration(this.#conn('create a generation'), this.#t, layout);
  }

  dropGeneration(layout: GenerationLayout): Promise<void> {
    return dropGeneration(this.#conn('drop a generation'), this.#t, layout);
  }

  publishGeneration(layout: GenerationLayout): Promise<void> {
    return publishGeneration(this.#conn('publish a generation'), this.#t, layout);
  }

  projectionTx(layout: GenerationLayout): ProjectionTx {
    return new PostgresProjectionTx(this.#conn, this.#buffer, this.#t, layout);
  }

  async savepoint<T>(task: () => Promise<T>): Promise<T> {
    const name = `factum_sp_${++savepoints}`;
    const client = this.#conn('open a savepoint');
    // Buffered writes from before the savepoint are sent first; those made inside it are sent before
    // its release, or forgotten when it rolls back.
    await this.#buffer.flush();
    await client.query(`SAVEPOINT ${name}`);
    try {
      const value = await task();
      await this.#buffer.flush();
      await client.query(`RELEASE SAVEPOINT ${name}`);
      return value;
    } catch (error) {
      this.#buffer.discard();
      await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await client.query(`RELEASE SAVEPOINT ${name}`);
      throw error;
    }
  }

  addDeadLetter(letter: NewDeadLetter): Promise<number> {
    return addDeadLetter(this.#conn('add a dead letter'), this.#t, letter);
  }

  getDeadLetter(id: number): Promise<DeadLetter | undefined> {
    return getDeadLetter(this.#conn('read a dead letter'), this.#t, id);
  }

  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetter[]> {
    return listDeadLetters(this.#conn('list dead letters'), this.#t, query);
  }

  updateDeadLetter(
    id: number,
    changes: Partial<Pick<DeadLetter, 'status' | 'error' | 'attempts' | 'action'>>,
  ): Promise<void> {
    return updateDeadLetter(this.#conn('update a dead letter'), this.#t, id, changes);
  }

  deleteDeadLetter(id: number): Promise<void> {
    return deleteDeadLetter(this.#conn('delete a dead letter'), this.#t, id);
  }

  deleteDeadLetters(projection: string, generation: number): Promise<void> {
    return deleteDeadLetters(this.#conn('delete dead letters'), this.#t, projection, generation);
  }

  blockedKeys(projection: string, generation: number): Promise<Set<string>> {
    return blockedKeys(this.#conn('read blocked ordering keys'), this.#t, projection, generation);
  }

  countDeadLetters(projection: string, generation: number): Promise<{ dead: number; parked: number }> {
    return countDeadLetters(this.#conn('count dead letters'), this.#t, projection, generation);
  }

  getLease(name: string): Promise<LeaseRecord | undefined> {
    return getLease(this.#conn('read a lease'), this.#t, name);
  }

  putLease(lease: LeaseRecord): Promise<void> {
    return putLease(this.#conn('write a lease'), this.#t, lease);
  }
}
