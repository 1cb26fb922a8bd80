import { ErrorCodes, ValidationError } from '../../core/errors.js';
import {
  assertDeclaredCollection,
  assertDeclaredTable,
  documentJson as objectJson,
  patchFields,
} from '../document-args.js';
import { checkFilter, checkFind } from '../filter.js';
import { assertDocumentId } from '../names.js';
import type { GenerationLayout } from '../storage.js';
import type { DocumentCollection, Filter, FindOptions, ProjectionTx } from '../types.js';
import type { WriteBuffer } from '../write-buffer.js';
import { countDocuments } from './sql/count-documents.js';
import { deleteDocument } from './sql/delete-document.js';
import { generationTable } from './sql/field-expression.js';
import { findDocuments } from './sql/find-documents.js';
import { getDocument } from './sql/get-document.js';
import { patchDocument } from './sql/patch-document.js';
import type { ProjectionTables, Queryable } from './sql/tables.js';

/** The connection while the transaction is open; throws TransactionClosedError after. */
export type Connection = (operation: string) => Queryable;

/**
 * A collection stored as a table of (id, jsonb), fields indexed by expression indexes. Upserts and
 * deletes of buffered ids go to the transaction's write buffer (see WriteBuffer).
 */
export class PostgresDocuments<T extends object> implements DocumentCollection<T> {
  readonly #conn: Connection;
  readonly #buffer: WriteBuffer;
  readonly #table: string;
  readonly #collection: string;

  constructor(
    conn: Connection,
    buffer: WriteBuffer,
    tables: ProjectionTables,
    collection: string,
    generation: number,
  ) {
    this.#conn = conn;
    this.#buffer = buffer;
    this.#collection = collection;
    this.#table = generationTable(tables, collection, generation);
  }

  async get(id: string): Promise<T | undefined> {
    assertDocumentId(id, this.#collection);
    const db = this.#conn('get a document');
    const pending = this.#buffer.pending(this.#table, id);
    if (pending !== undefined) return pending === null ? undefined : (JSON.parse(pending) as T);
    return (await getDocument(db, this.#table, id)) as T | undefined;
  }

  async upsert(id: string, doc: T): Promise<void> {
    assertDocumentId(id, this.#collection);
    const json = documentJson(doc, this.#collection, id);
    this.#conn('upsert a document');
    await this.#buffer.set(this.#table, id, json);
  }

  async patch(id: string, changes: Partial<T>): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    const fields = Object.fromEntries(patchFields(changes, this.#collection, id));
    const db = this.#conn('patch a document');
    const pending = this.#buffer.pending(this.#table, id);
    if (pending === null) return false;
    if (pending !== undefined) {
      const merged = { ...(JSON.parse(pending) as object), ...fields };
      await this.#buffer.set(this.#table, id, documentJson(merged, this.#collection, id));
      return true;
    }
    return patchDocument(db, this.#table, id, documentJson(fields, this.#collection, id));
  }

  async delete(id: string): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    const db = this.#conn('delete a document');
    const pending = this.#buffer.pending(this.#table, id);
    if (pending === null) return false;
    if (pending !== undefined) {
      // Buffered, so it exists; the database row, if there is one, goes with the flush.
      await this.#buffer.set(this.#table, id, null);
      return true;
    }
    return deleteDocument(db, this.#table, id);
  }

  async find(filter?: Filter, options?: FindOptions): Promise<T[]> {
    const conditions = checkFilter(filter);
    const find = checkFind(options);
    const db = this.#conn('find documents');
    await this.#buffer.flush(this.#table);
    return (await findDocuments(db, this.#table, conditions, find)) as T[];
  }

  async count(filter?: Filter): Promise<number> {
    const conditions = checkFilter(filter);
    const db = this.#conn('count documents');
    await this.#buffer.flush(this.#table);
    return countDocuments(db, this.#table, conditions);
  }
}

/** The handler's transaction on PostgreSQL: the generation's collections and raw tables, raw SQL on the same connection. */
export class PostgresProjectionTx implements ProjectionTx {
  readonly dialect = 'postgres';
  readonly #conn: Connection;
  readonly #buffer: WriteBuffer;
  readonly #tables: ProjectionTables;
  readonly #layout: GenerationLayout;
  readonly #collections = new Map<string, PostgresDocuments<object>>();

  constructor(conn: Connection, buffer: WriteBuffer, tables: ProjectionTables, layout: GenerationLayout) {
    this.#conn = conn;
    this.#buffer = buffer;
    this.#tables = tables;
    this.#layout = layout;
  }

  documents<T extends object = Record<string, unknown>>(collection: string): DocumentCollection<T> {
    let c = this.#collections.get(collection);
    if (c === undefined) {
      assertDeclaredCollection(this.#layout, collection);
      c = new PostgresDocuments(this.#conn, this.#buffer, this.#tables, collection, this.#layout.generation);
      this.#collections.set(collection, c);
    }
    return c as unknown as DocumentCollection<T>;
  }

  /** The schema-qualified, quoted physical name (`"schema"."totals__g2"`). */
  table(name: string): string {
    assertDeclaredTable(this.#layout, name);
    return generationTable(this.#tables, name, this.#layout.generation);
  }

  async sql<R = Record<string, unknown>>(query: string, params: readonly unknown[] = []): Promise<R[]> {
    const db = this.#conn('run raw SQL');
    await this.#buffer.flush();
    const { rows } = await db.query(query, [...params]);
    return rows as R[];
  }

  async exec(query: string, params: readonly unknown[] = []): Promise<number> {
    const db = this.#conn('run raw SQL');
    await this.#buffer.flush();
    const result = await db.query(query, [...params]);
    const results = Array.isArray(result) ? (result as { rowCount: number | null }[]) : [result];
    return results.reduce((n, r) => n + (r.rowCount ?? 0), 0);
  }
}

/**
 * What jsonb refuses in JSON text: the escape of U+0000 and escapes of unpaired UTF-16 surrogates
 * (JSON.stringify writes both as \u escapes). Checked before buffering, so a flush never fails on data.
 */
const NOT_FOR_JSONB =
  /(?<!\\)(?:\\\\)*\\u0000|(?<!\\)(?:\\\\)*\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i;

function documentJson(doc: unknown, collection: string, id: string): string {
  const json = objectJson(doc, collection, id);
  if (NOT_FOR_JSONB.test(json)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'doc',
      `Document ${collection}/${id} holds text PostgreSQL jsonb cannot store (U+0000 or an unpaired surrogate)`,
    );
  }
  return json;
}
