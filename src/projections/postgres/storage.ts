import type { PoolClient } from 'pg';
import type { StoredEvent } from '../../core/envelope.js';
import { StoreClosedError } from '../../core/errors.js';
import type { SessionLocks } from '../../follow/index.js';
import {
  followTables,
  lockScopes,
  PostgresFollowTx,
  PostgresTransactions,
  type PostgresTransactionsOptions,
  runFollowTx,
} from '../../follow/kit.js';
import { type PostgresEventStore, schemaNames, translate } from '../../stores/postgres/kit.js';
import { batchInTransaction } from '../batch.js';
import {
  type BatchResult,
  type BatchSteps,
  brandStorage,
  type DeadLetter,
  type DeadLetterQuery,
  type GenerationLayout,
  type NewDeadLetter,
  type ProjectionPause,
  type ProjectionRecord,
  type ProjectionStorage,
  type StorageTx,
  storageOf,
} from '../storage.js';
import type { ProjectionTx } from '../types.js';
import { WriteBuffer } from '../write-buffer.js';
import { PostgresProjectionTx } from './documents.js';
import { ensureProjectionMigrations } from './migrations/index.js';
import { addDeadLetter } from './sql/add-dead-letter.js';
import { blockedKeys } from './sql/blocked-keys.js';
import { claimObjects } from './sql/claim-objects.js';
import { countDeadLetters } from './sql/count-dead-letters.js';
import { countEventsAfter } from './sql/count-events-after.js';
import { createGeneration } from './sql/create-generation.js';
import { deleteDeadLetter } from './sql/delete-dead-letter.js';
import { deleteDeadLetters } from './sql/delete-dead-letters.js';
import { dropGeneration } from './sql/drop-generation.js';
import { getDeadLetter } from './sql/get-dead-letter.js';
import { headPosition } from './sql/head-position.js';
import { listDeadLetters } from './sql/list-dead-letters.js';
import { listProjections } from './sql/list-projections.js';
import { ownerOf } from './sql/owner-of.js';
import { getProjection, setPaused } from './sql/projection-record.js';
import { publishGeneration } from './sql/publish-generation.js';
import { putProjection } from './sql/put-projection.js';
import { readCommittedLog } from './sql/read-committed-log.js';
import { type ProjectionTables, projectionTables, type Queryable } from './sql/tables.js';
import { updateDeadLetter } from './sql/update-dead-letter.js';
import { writeDocuments } from './sql/write-documents.js';

export type PostgresProjectionStorageOptions = PostgresTransactionsOptions;

export { isPostgresStore } from '../../stores/postgres/kit.js';

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
  readonly #tables: ProjectionTables;
  /** Transactions, scope locks, the database clock and session locks: the follow kit's. */
  readonly #transactions: PostgresTransactions<PostgresStorageTx>;
  /** Inline projections: the append hooks and the projections they write. */
  readonly #appendHooks = new Set<{
    hook: (events: readonly StoredEvent[], tx: StorageTx) => Promise<void>;
    scopes: readonly string[];
  }>();
  #removeStoreHook: (() => void) | undefined;

  constructor(store: PostgresEventStore, options: PostgresProjectionStorageOptions) {
    this.store = store;
    this.#tables = projectionTables(schemaNames(store.schema));
    const tables = this.#tables;
    this.#transactions = new PostgresTransactions(store, (client) => new PostgresStorageTx(client, tables), {
      ...options,
      ensure: () => ensureProjectionMigrations(store),
    });
  }

  get sessionLocks(): SessionLocks {
    return this.#transactions.sessionLocks;
  }

  transaction<T>(task: (tx: StorageTx) => Promise<T>, scope?: string): Promise<T> {
    return this.#transactions.transaction(task, scope);
  }

  batch<T>(scope: string, steps: BatchSteps<T>): Promise<BatchResult<T>> {
    return batchInTransaction(this, scope, steps);
  }

  read<T>(task: (tx: StorageTx) => Promise<T>): Promise<T> {
    return this.#transactions.read(task);
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
    return this.#transactions.now();
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
        this.#transactions.observeClock(await lockScopes(client, this.#tables.schema, scopes));
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

/**
 * Documents held per table before a flush writes them (bounds memory, keeps statements moderate): a
 * batch of the default size (2,000 events) sends its upserts in one statement.
 */
const MAX_BUFFERED = 2_000;

class PostgresStorageTx extends PostgresFollowTx implements StorageTx {
  readonly #t: ProjectionTables;
  readonly #buffer: WriteBuffer;

  /** Runs `task` with a tx that refuses every use once the task has settled. */
  static run<T>(
    client: PoolClient,
    tables: ProjectionTables,
    task: (tx: StorageTx) => Promise<T>,
  ): Promise<T> {
    return runFollowTx(new PostgresStorageTx(client, tables), task);
  }

  constructor(client: PoolClient, tables: ProjectionTables) {
    super(client, followTables(tables.schema));
    this.#t = tables;
    this.#buffer = new WriteBuffer((table, writes) => writeDocuments(client, table, writes), MAX_BUFFERED);
  }

  /** The read-model writes still buffered are sent before COMMIT. */
  override async finish(): Promise<void> {
    await this.#buffer.flush();
  }

  readonly #conn = (operation: string): Queryable => this.conn(operation);

  async readCommittedLog(after: bigint, limit: number): Promise<{ events: StoredEvent[]; last: bigint }> {
    return readCommittedLog(this.#conn('read the log'), this.#t, after, limit);
  }

  getProjection(name: string): Promise<ProjectionRecord | undefined> {
    return getProjection(this.#conn('read a projection'), this.#t, name);
  }

  listProjections(): Promise<ProjectionRecord[]> {
    return listProjections(this.#conn('list projections'), this.#t);
  }

  putProjection(record: Omit<ProjectionRecord, 'createdAt' | 'updatedAt' | 'paused'>): Promise<void> {
    return putProjection(this.#conn('register a projection'), this.#t, record);
  }

  setPaused(name: string, paused: ProjectionPause | null): Promise<boolean> {
    return setPaused(this.#conn('pause a projection'), this.#t, name, paused);
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
}
