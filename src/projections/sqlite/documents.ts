import type Database from 'better-sqlite3';
import { statement } from '../../stores/sqlite/kit.js';
import {
  assertDeclaredCollection,
  assertDeclaredTable,
  documentJson,
  patchFields,
} from '../document-args.js';
import { checkFilter, checkFind } from '../filter.js';
import { assertDocumentId, physicalName, quoteIdent } from '../names.js';
import type { GenerationLayout } from '../storage.js';
import type { DocumentCollection, Filter, FindOptions, ProjectionTx } from '../types.js';
import { countDocuments } from './sql/count-documents.js';
import { deleteDocument } from './sql/delete-document.js';
import { collectionTable } from './sql/field-expression.js';
import { findDocuments } from './sql/find-documents.js';
import { getDocument } from './sql/get-document.js';
import { patchDocument } from './sql/patch-document.js';
import { upsertDocument } from './sql/upsert-document.js';

const TOP_LEVEL_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** json_set takes two arguments per field; SQLite allows 127 arguments per function call. */
const MAX_PATCH_FIELDS = 60;

/** A collection stored as a table of (id, JSON text), fields indexed by json_extract expressions. */
/** The connection while the transaction is open; throws TransactionClosedError after. */
export type Connection = (operation: string) => Database.Database;

export class SqliteDocuments<T extends object> implements DocumentCollection<T> {
  readonly #conn: Connection;
  readonly #table: string;
  readonly #collection: string;

  constructor(conn: Connection, collection: string, generation: number) {
    this.#conn = conn;
    this.#collection = collection;
    this.#table = collectionTable(collection, generation);
  }

  async get(id: string): Promise<T | undefined> {
    assertDocumentId(id, this.#collection);
    const json = getDocument(this.#conn('get a document'), this.#table, id);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async upsert(id: string, doc: T): Promise<void> {
    assertDocumentId(id, this.#collection);
    upsertDocument(this.#conn('upsert a document'), this.#table, id, documentJson(doc, this.#collection, id));
  }

  async patch(id: string, changes: Partial<T>): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    const entries = patchFields(changes, this.#collection, id);
    const db = this.#conn('patch a document');
    if (entries.length === 0) return getDocument(db, this.#table, id) !== undefined;
    if (entries.length <= MAX_PATCH_FIELDS && entries.every(([k]) => TOP_LEVEL_KEY.test(k))) {
      return patchDocument(
        db,
        this.#table,
        id,
        entries.map(([k, v]) => [`$.${k}`, JSON.stringify(v)] as const),
      );
    }
    const json = getDocument(db, this.#table, id);
    if (json === undefined) return false;
    const merged = { ...(JSON.parse(json) as object), ...Object.fromEntries(entries) };
    upsertDocument(db, this.#table, id, JSON.stringify(merged));
    return true;
  }

  async delete(id: string): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    return deleteDocument(this.#conn('delete a document'), this.#table, id);
  }

  async find(filter?: Filter, options?: FindOptions): Promise<T[]> {
    const rows = findDocuments(
      this.#conn('find documents'),
      this.#table,
      checkFilter(filter),
      checkFind(options),
    );
    return rows.map((json) => JSON.parse(json) as T);
  }

  async count(filter?: Filter): Promise<number> {
    return countDocuments(this.#conn('count documents'), this.#table, checkFilter(filter));
  }
}

/** The handler's transaction on SQLite: the generation's collections and raw tables, raw SQL on the same connection. */
export class SqliteProjectionTx implements ProjectionTx {
  readonly dialect = 'sqlite';
  readonly #conn: Connection;
  readonly #layout: GenerationLayout;
  readonly #collections = new Map<string, SqliteDocuments<object>>();

  constructor(conn: Connection, layout: GenerationLayout) {
    this.#conn = conn;
    this.#layout = layout;
  }

  documents<T extends object = Record<string, unknown>>(collection: string): DocumentCollection<T> {
    let c = this.#collections.get(collection);
    if (c === undefined) {
      assertDeclaredCollection(this.#layout, collection);
      c = new SqliteDocuments(this.#conn, collection, this.#layout.generation);
      this.#collections.set(collection, c);
    }
    return c as unknown as DocumentCollection<T>;
  }

  table(name: string): string {
    assertDeclaredTable(this.#layout, name);
    return quoteIdent(physicalName(name, this.#layout.generation));
  }

  async sql<R = Record<string, unknown>>(query: string, params: readonly unknown[] = []): Promise<R[]> {
    return statement<R>(this.#conn('run raw SQL'), query).all(...params);
  }

  async exec(query: string, params: readonly unknown[] = []): Promise<number> {
    const db = this.#conn('run raw SQL');
    if (params.length === 0 && hasSeveralStatements(query)) {
      const before = db.prepare('SELECT total_changes()').pluck().get() as number;
      db.exec(query);
      return (db.prepare('SELECT total_changes()').pluck().get() as number) - before;
    }
    return statement(db, query).run(...params).changes;
  }
}

function hasSeveralStatements(sql: string): boolean {
  const trimmed = sql.trim().replace(/;+$/, '');
  return trimmed.includes(';');
}
