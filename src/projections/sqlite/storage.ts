import type Database from 'better-sqlite3';
import type { StoredEvent } from '../../core/envelope.js';
import { runWithTx, SqliteFollowTx } from '../../follow/kit.js';
import type { SqliteEventStore } from '../../stores/sqlite/kit.js';
import { directBatchTx } from '../batch.js';
import {
  type BatchResult,
  type BatchSteps,
  type DeadLetter,
  type DeadLetterQuery,
  type GenerationLayout,
  type NewDeadLetter,
  type ProjectionPause,
  type ProjectionRecord,
  type ProjectionStorage,
  readLogPage,
  type StorageTx,
  storageOf,
} from '../storage.js';
import type { ProjectionTx } from '../types.js';
import { asHandlerCalls, BufferedBatch, refuseAppendsFromHandlers } from './batch.js';
import { SqliteProjectionTx } from './documents.js';
import { ensureProjectionMigrations } from './migrations/index.js';
import { addDeadLetter } from './sql/add-dead-letter.js';
import { blockedKeys } from './sql/blocked-keys.js';
import { claimObjects } from './sql/claim-objects.js';
import { countDeadLetters } from './sql/count-dead-letters.js';
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
import { updateDeadLetter } from './sql/update-dead-letter.js';

/** What projections need from a SQLite event store: its connection, gated transactions and append hooks. */
export type SqliteStoreLike = SqliteEventStore;

/**
 * Projection storage in the SQLite store's own database file and connection: read models, checkpoints,
 * dead letters and leases commit in the same transactions as each other (and, for inline projections,
 * as the append).
 */
export function sqliteProjectionStorage(store: SqliteStoreLike): ProjectionStorage {
  ensureProjectionMigrations(store);
  return storageOf(store, () => new SqliteProjectionStorage(store));
}

class SqliteProjectionStorage implements ProjectionStorage {
  readonly dialect = 'sqlite';
  readonly store: SqliteStoreLike;
  /** Buffered batches running handlers, and the append hook that refuses their handlers' appends meanwhile. */
  #batches = 0;
  #removeAppendGuard: (() => void) | undefined;

  constructor(store: SqliteStoreLike) {
    this.store = store;
  }

  /**
   * Projection transactions are atomic but not individually fsynced: everything they write is derived
   * from the durable log, and a power loss can only take the newest commits back to an older
   * checkpoint, from which the runner replays. Appends (and inline projections with them) stay durable.
   */
  transaction<T>(task: (tx: StorageTx) => Promise<T>, _scope?: string): Promise<T> {
    // One writer for the whole file: every transaction excludes every other, whatever its scope.
    return this.store.transaction((db) => SqliteStorageTx.run(db, this.store, task), { durable: false });
  }

  read<T>(task: (tx: StorageTx) => Promise<T>): Promise<T> {
    return this.store.read((db) => SqliteStorageTx.run(db, this.store, task));
  }

  /**
   * The handlers run while this process holds no transaction, so the store's reads, appends and
   * status calls go on meanwhile (see BufferedBatch); the write lock is taken only to check the fence
   * again and write the buffered documents, dead letters and checkpoint, in one transaction.
   */
  async batch<T>(_scope: string, steps: BatchSteps<T>): Promise<BatchResult<T>> {
    await this.read((tx) => steps.check(tx));
    const buffered = new BufferedBatch((task) => this.store.readSync(task));
    if (this.#batches++ === 0) this.#removeAppendGuard = this.store.addAppendHook(refuseAppendsFromHandlers);
    let value: T;
    try {
      value = await asHandlerCalls(() => steps.work(buffered));
    } finally {
      buffered.close();
      if (--this.#batches === 0) this.#removeAppendGuard?.();
    }
    const deadLetters: number[] = [];
    await this.store.transaction(
      (db) =>
        SqliteStorageTx.run(db, this.store, async (tx) => {
          await steps.check(tx);
          await buffered.writeInto(db, deadLetters);
          await steps.commit(tx, value, directBatchTx(tx, deadLetters));
        }),
      { durable: false },
    );
    return { value, deadLetters };
  }

  head(): Promise<bigint> {
    return this.store.read((db) => headPosition(db));
  }

  async countEventsAfter(position: bigint): Promise<number> {
    const head = await this.head();
    return head > position ? Number(head - position) : 0;
  }

  now(): number {
    return Date.now();
  }

  addAppendHook(
    hook: (events: readonly StoredEvent[], tx: StorageTx) => Promise<void>,
    _scopes: readonly string[],
  ): () => void {
    return this.store.addAppendHook((events, db) =>
      SqliteStorageTx.run(db, this.store, (tx) => hook(events, tx)),
    );
  }
}

let savepoints = 0;

class SqliteStorageTx extends SqliteFollowTx implements StorageTx {
  readonly #db: Database.Database;
  readonly #store: SqliteStoreLike;

  /** Runs `task` with a tx that refuses every use once the task has settled. */
  static run<T>(
    db: Database.Database,
    store: SqliteStoreLike,
    task: (tx: StorageTx) => Promise<T>,
  ): Promise<T> {
    return runWithTx(new SqliteStorageTx(db, store), task);
  }

  private constructor(db: Database.Database, store: SqliteStoreLike) {
    super(db);
    this.#db = db;
    this.#store = store;
  }

  /** Inside a transaction the write lock keeps appends out: the store's own read sees every event. */
  async readCommittedLog(after: bigint, limit: number): Promise<{ events: StoredEvent[]; last: bigint }> {
    this.conn('read the log');
    return readLogPage(this.#store, after, limit);
  }

  readonly #conn = (operation: string): Database.Database => this.conn(operation);

  async getProjection(name: string): Promise<ProjectionRecord | undefined> {
    return getProjection(this.#db, name);
  }

  async listProjections(): Promise<ProjectionRecord[]> {
    return listProjections(this.#db);
  }

  async putProjection(record: Omit<ProjectionRecord, 'createdAt' | 'updatedAt' | 'paused'>): Promise<void> {
    putProjection(this.#db, record, Date.now());
  }

  async setPaused(name: string, paused: ProjectionPause | null): Promise<boolean> {
    return setPaused(this.#db, name, paused, Date.now());
  }

  async claimObjects(
    projection: string,
    objects: readonly { name: string; kind: 'documents' | 'table' }[],
  ): Promise<void> {
    claimObjects(this.#db, projection, objects);
  }

  async ownerOf(name: string): Promise<string | undefined> {
    return ownerOf(this.#db, name);
  }

  async createGeneration(layout: GenerationLayout): Promise<void> {
    createGeneration(this.#db, layout);
  }

  async dropGeneration(layout: GenerationLayout): Promise<void> {
    dropGeneration(this.#db, layout);
  }

  async publishGeneration(layout: GenerationLayout): Promise<void> {
    publishGeneration(this.#db, layout);
  }

  projectionTx(layout: GenerationLayout): ProjectionTx {
    return new SqliteProjectionTx(this.#conn, layout);
  }

  async savepoint<T>(task: () => Promise<T>): Promise<T> {
    const name = `factum_sp_${++savepoints}`;
    this.#db.exec(`SAVEPOINT ${name}`);
    try {
      const value = await task();
      this.#db.exec(`RELEASE ${name}`);
      return value;
    } catch (error) {
      this.#db.exec(`ROLLBACK TO ${name}`);
      this.#db.exec(`RELEASE ${name}`);
      throw error;
    }
  }

  async addDeadLetter(letter: NewDeadLetter): Promise<number> {
    return addDeadLetter(this.#db, letter, Date.now());
  }

  async getDeadLetter(id: number): Promise<DeadLetter | undefined> {
    return getDeadLetter(this.#db, id);
  }

  async listDeadLetters(query: DeadLetterQuery): Promise<DeadLetter[]> {
    return listDeadLetters(this.#db, query);
  }

  async updateDeadLetter(
    id: number,
    changes: Partial<Pick<DeadLetter, 'status' | 'error' | 'attempts' | 'action'>>,
  ): Promise<void> {
    updateDeadLetter(this.#db, id, changes, Date.now());
  }

  async deleteDeadLetter(id: number): Promise<void> {
    deleteDeadLetter(this.#db, id);
  }

  async deleteDeadLetters(projection: string, generation: number): Promise<void> {
    deleteDeadLetters(this.#db, projection, generation);
  }

  async blockedKeys(projection: string, generation: number): Promise<Set<string>> {
    return blockedKeys(this.#db, projection, generation);
  }

  async countDeadLetters(projection: string, generation: number): Promise<{ dead: number; parked: number }> {
    return countDeadLetters(this.#db, projection, generation);
  }
}
