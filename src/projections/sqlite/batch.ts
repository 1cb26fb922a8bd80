import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import type { StoredEvent } from '../../core/envelope.js';
import { NestedTransactionError, TransactionClosedError } from '../../core/errors.js';
import {
  assertDeclaredCollection,
  assertDeclaredTable,
  documentJson,
  patchFields,
} from '../document-args.js';
import { checkFilter, checkFind } from '../filter.js';
import { assertDocumentId, physicalName, quoteIdent } from '../names.js';
import type { BatchTx, GenerationLayout, NewDeadLetter } from '../storage.js';
import type { DocumentCollection, Filter, FindOptions, ProjectionTx } from '../types.js';
import { WriteBuffer } from '../write-buffer.js';
import { addDeadLetter } from './sql/add-dead-letter.js';
import { blockedKeys } from './sql/blocked-keys.js';
import { countDocuments } from './sql/count-documents.js';
import { collectionTable } from './sql/field-expression.js';
import { findDocuments } from './sql/find-documents.js';
import { getDocument } from './sql/get-document.js';
import { writeDocuments } from './sql/write-documents.js';

/** Documents a batch buffers at most; a handler call that would buffer more goes on in the write transaction. */
const MAX_BUFFERED = 50_000;

/** A synchronous read of committed rows on the store's connection (SqliteEventStore.readSync). */
export type CommittedRead = <T>(task: (db: Database.Database) => T) => Promise<T>;

/** Settled promises: what an upsert returns (it only buffers) and a synchronous handler call; a deferred call. */
const DONE: Promise<void> = Promise.resolve();
const DEFERRED: Promise<'deferred'> = Promise.resolve('deferred');

/** Set in the async context of a buffered batch's work (its handler calls). */
const handlerCall = new AsyncLocalStorage<true>();

/**
 * An append hook that refuses appends made from a buffered batch's handler call, as the store refuses
 * them inside a transaction: such an append would not be part of the batch (a batch that is retried
 * would append again).
 */
export function refuseAppendsFromHandlers(events: readonly StoredEvent[]): void {
  if (handlerCall.getStore() === true) {
    throw new NestedTransactionError(`append to ${events[0]?.streamId ?? 'a stream'}`);
  }
}

/** Runs a buffered batch's work (its handler calls) where refuseAppendsFromHandlers sees it. */
export function asHandlerCalls<T>(work: () => Promise<T>): Promise<T> {
  return handlerCall.run(true, work);
}

/** Thrown inside a handler call that needs the write transaction: the call is made again in it. */
class NeedsWriteLock extends Error {
  constructor(operation: string) {
    super(`Cannot ${operation} outside the write transaction: the call is made again inside it`);
    this.name = 'NeedsWriteLock';
  }
}

/**
 * A SQLite batch's handler calls, run while this process holds no transaction: document writes and
 * dead letters are buffered; reads see committed rows plus the batch's own writes. Committed state
 * cannot change under it: only the projection's active runner (fenced by its lease) writes its
 * generation. What the buffer cannot answer — `find` or `count` on a collection with buffered
 * writes, raw SQL, more than MAX_BUFFERED documents — defers the call (BatchTx.call): its writes are
 * taken back and it is made again, with the rest of the batch, inside the committing transaction.
 */
export class BufferedBatch implements BatchTx {
  readonly #read: CommittedRead;
  readonly #buffer: WriteBuffer;
  readonly #letters: NewDeadLetter[] = [];
  /** The committing transaction's connection, while the buffer is written into it. */
  #db: Database.Database | undefined;
  #open = true;
  #deferred = false;

  constructor(read: CommittedRead) {
    this.#read = read;
    this.#buffer = new WriteBuffer((table, writes) => writeDocuments(this.#db!, table, writes));
  }

  projectionTx(layout: GenerationLayout): ProjectionTx {
    return new BufferedProjectionTx(this, layout);
  }

  async blockedKeys(projection: string, generation: number): Promise<Set<string>> {
    this.use('read blocked ordering keys');
    return this.#read((db) => blockedKeys(db, projection, generation));
  }

  async addDeadLetter(letter: NewDeadLetter): Promise<void> {
    this.use('add a dead letter');
    this.#letters.push(letter);
  }

  // Not an async function: one promise less per handler call.
  call(handler: () => Promise<void> | undefined): Promise<'done' | 'deferred'> {
    if (this.#deferred) return DEFERRED;
    let called: Promise<void>;
    try {
      this.use('apply an event');
      this.#buffer.mark();
      called = handler() ?? DONE;
    } catch (error) {
      called = Promise.reject(error);
    }
    return called.then(this.#called, this.#failed);
  }

  readonly #called = (): 'done' | 'deferred' => {
    if (this.#deferred) {
      this.#buffer.undo();
      return 'deferred';
    }
    this.#buffer.keep();
    return 'done';
  };

  /** The handler may have passed NeedsWriteLock on, or failed because of it: either way, deferred. */
  readonly #failed = (error: unknown): 'deferred' => {
    if (this.#deferred) {
      this.#buffer.undo();
      return 'deferred';
    }
    this.#buffer.keep();
    throw error;
  };

  /** Refuses every use once the batch has ended, and every use after a call was deferred. */
  use(operation: string): void {
    if (!this.#open) throw new TransactionClosedError(operation);
    if (this.#deferred) throw new NeedsWriteLock(operation);
  }

  /** Defers the current call: it is made again inside the write transaction. */
  needsWriteLock(operation: string): never {
    this.#deferred = true;
    throw new NeedsWriteLock(operation);
  }

  read<T>(task: (db: Database.Database) => T): Promise<T> {
    return this.#read(task);
  }

  pending(table: string, id: string): string | null | undefined {
    return this.#buffer.pending(table, id);
  }

  holds(table: string): boolean {
    return this.#buffer.holds(table);
  }

  /** Buffers a document write (the batch's buffer never flushes before the commit). */
  write(table: string, id: string, json: string | null, operation: string): void {
    this.use(operation);
    if (this.#buffer.size >= MAX_BUFFERED) this.needsWriteLock(operation);
    this.#buffer.set(table, id, json);
  }

  /** Ends the handler calls: every later use of the batch's tx refuses. */
  close(): void {
    this.#open = false;
  }

  /** Inside the committing transaction: writes the buffered documents and dead letters (their ids to `ids`). */
  async writeInto(db: Database.Database, ids: number[]): Promise<void> {
    this.#db = db;
    try {
      await this.#buffer.flush();
      for (const letter of this.#letters) ids.push(addDeadLetter(db, letter, Date.now()));
    } finally {
      this.#db = undefined;
    }
  }
}

/** One collection as a batch sees it: its buffered writes over the committed rows. */
class BufferedDocuments<T extends object> implements DocumentCollection<T> {
  readonly #batch: BufferedBatch;
  readonly #table: string;
  readonly #collection: string;

  constructor(batch: BufferedBatch, collection: string, generation: number) {
    this.#batch = batch;
    this.#collection = collection;
    this.#table = collectionTable(collection, generation);
  }

  async get(id: string): Promise<T | undefined> {
    assertDocumentId(id, this.#collection);
    const json = await this.#current(id, 'get a document');
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  upsert(id: string, doc: T): Promise<void> {
    try {
      assertDocumentId(id, this.#collection);
      const json = documentJson(doc, this.#collection, id);
      this.#batch.write(this.#table, id, json, 'upsert a document');
      return DONE;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async patch(id: string, changes: Partial<T>): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    const entries = patchFields(changes, this.#collection, id);
    const json = await this.#current(id, 'patch a document');
    if (json === undefined) return false;
    if (entries.length === 0) return true;
    const merged = { ...(JSON.parse(json) as object), ...Object.fromEntries(entries) };
    this.#batch.write(this.#table, id, JSON.stringify(merged), 'patch a document');
    return true;
  }

  async delete(id: string): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    if ((await this.#current(id, 'delete a document')) === undefined) return false;
    this.#batch.write(this.#table, id, null, 'delete a document');
    return true;
  }

  async find(filter?: Filter, options?: FindOptions): Promise<T[]> {
    const conditions = checkFilter(filter);
    const find = checkFind(options);
    this.#committedOnly('find documents');
    const rows = await this.#batch.read((db) => findDocuments(db, this.#table, conditions, find));
    return rows.map((json) => JSON.parse(json) as T);
  }

  async count(filter?: Filter): Promise<number> {
    const conditions = checkFilter(filter);
    this.#committedOnly('count documents');
    return this.#batch.read((db) => countDocuments(db, this.#table, conditions));
  }

  /** The document as the batch sees it (JSON text): its own write if it made one, else the committed row. */
  async #current(id: string, operation: string): Promise<string | undefined> {
    this.#batch.use(operation);
    const pending = this.#batch.pending(this.#table, id);
    if (pending !== undefined) return pending ?? undefined;
    return this.#batch.read((db) => getDocument(db, this.#table, id));
  }

  /** Queries over the table's rows: answered from committed rows only while the batch wrote none of them. */
  #committedOnly(operation: string): void {
    this.#batch.use(operation);
    if (this.#batch.holds(this.#table)) this.#batch.needsWriteLock(operation);
  }
}

/** The handler's tx in a buffered batch: documents as above; raw SQL needs the write transaction. */
class BufferedProjectionTx implements ProjectionTx {
  readonly dialect = 'sqlite';
  readonly #batch: BufferedBatch;
  readonly #layout: GenerationLayout;
  readonly #collections = new Map<string, BufferedDocuments<object>>();

  constructor(batch: BufferedBatch, layout: GenerationLayout) {
    this.#batch = batch;
    this.#layout = layout;
  }

  documents<T extends object = Record<string, unknown>>(collection: string): DocumentCollection<T> {
    let c = this.#collections.get(collection);
    if (c === undefined) {
      assertDeclaredCollection(this.#layout, collection);
      c = new BufferedDocuments(this.#batch, collection, this.#layout.generation);
      this.#collections.set(collection, c);
    }
    return c as unknown as DocumentCollection<T>;
  }

  table(name: string): string {
    assertDeclaredTable(this.#layout, name);
    return quoteIdent(physicalName(name, this.#layout.generation));
  }

  async sql<R>(): Promise<R[]> {
    this.#batch.use('run raw SQL');
    return this.#batch.needsWriteLock('run raw SQL');
  }

  async exec(): Promise<number> {
    this.#batch.use('run raw SQL');
    return this.#batch.needsWriteLock('run raw SQL');
  }
}
