import { ErrorCodes, ProjectionNotFoundError, ValidationError } from '../../core/errors.js';
import { checkFilter, checkFind } from '../filter.js';
import { assertDocumentId } from '../names.js';
import type { GenerationLayout } from '../storage.js';
import type { DocumentCollection, Filter, FindOptions, ProjectionTx } from '../types.js';
import { countDocuments } from './sql/count-documents.js';
import { deleteDocument } from './sql/delete-document.js';
import { generationTable } from './sql/field-expression.js';
import { findDocuments } from './sql/find-documents.js';
import { getDocument } from './sql/get-document.js';
import { patchDocument } from './sql/patch-document.js';
import type { ProjectionTables, Queryable } from './sql/tables.js';
import { upsertDocument } from './sql/upsert-document.js';

/** The connection while the transaction is open; throws TransactionClosedError after. */
export type Connection = (operation: string) => Queryable;

/** A collection stored as a table of (id, jsonb), fields indexed by expression indexes. */
export class PostgresDocuments<T extends object> implements DocumentCollection<T> {
  readonly #conn: Connection;
  readonly #table: string;
  readonly #collection: string;

  constructor(conn: Connection, tables: ProjectionTables, collection: string, generation: number) {
    this.#conn = conn;
    this.#collection = collection;
    this.#table = generationTable(tables, collection, generation);
  }

  async get(id: string): Promise<T | undefined> {
    assertDocumentId(id, this.#collection);
    return (await getDocument(this.#conn('get a document'), this.#table, id)) as T | undefined;
  }

  async upsert(id: string, doc: T): Promise<void> {
    assertDocumentId(id, this.#collection);
    await upsertDocument(
      this.#conn('upsert a document'),
      this.#table,
      id,
      documentJson(doc, this.#collection, id),
    );
  }

  async patch(id: string, changes: Partial<T>): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'changes',
        `patch of ${this.#collection}/${id}: changes must be an object`,
      );
    }
    const entries = Object.entries(changes).filter(([, v]) => v !== undefined);
    return patchDocument(
      this.#conn('patch a document'),
      this.#table,
      id,
      JSON.stringify(Object.fromEntries(entries)),
    );
  }

  async delete(id: string): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    return deleteDocument(this.#conn('delete a document'), this.#table, id);
  }

  async find(filter?: Filter, options?: FindOptions): Promise<T[]> {
    const conditions = checkFilter(filter);
    const find = checkFind(options);
    return (await findDocuments(this.#conn('find documents'), this.#table, conditions, find)) as T[];
  }

  async count(filter?: Filter): Promise<number> {
    const conditions = checkFilter(filter);
    return countDocuments(this.#conn('count documents'), this.#table, conditions);
  }
}

/** The handler's transaction on PostgreSQL: the generation's collections and raw tables, raw SQL on the same connection. */
export class PostgresProjectionTx implements ProjectionTx {
  readonly dialect = 'postgres';
  readonly #conn: Connection;
  readonly #tables: ProjectionTables;
  readonly #layout: GenerationLayout;
  readonly #collections = new Map<string, PostgresDocuments<object>>();

  constructor(conn: Connection, tables: ProjectionTables, layout: GenerationLayout) {
    this.#conn = conn;
    this.#tables = tables;
    this.#layout = layout;
  }

  documents<T extends object = Record<string, unknown>>(collection: string): DocumentCollection<T> {
    let c = this.#collections.get(collection);
    if (c === undefined) {
      if (!Object.hasOwn(this.#layout.documents, collection)) {
        throw new ProjectionNotFoundError(
          `collection '${collection}' is not declared by projection ${this.#layout.projection} (declare it in documents)`,
        );
      }
      c = new PostgresDocuments(this.#conn, this.#tables, collection, this.#layout.generation);
      this.#collections.set(collection, c);
    }
    return c as unknown as DocumentCollection<T>;
  }

  /** The schema-qualified, quoted physical name (`"schema"."totals__g2"`). */
  table(name: string): string {
    if (!this.#layout.tables.includes(name)) {
      throw new ProjectionNotFoundError(
        `table '${name}' is not declared by projection ${this.#layout.projection} (declare it in tables)`,
      );
    }
    return generationTable(this.#tables, name, this.#layout.generation);
  }

  async sql<R = Record<string, unknown>>(query: string, params: readonly unknown[] = []): Promise<R[]> {
    const { rows } = await this.#conn('run raw SQL').query(query, [...params]);
    return rows as R[];
  }

  async exec(query: string, params: readonly unknown[] = []): Promise<number> {
    const result = await this.#conn('run raw SQL').query(query, [...params]);
    const results = Array.isArray(result) ? (result as { rowCount: number | null }[]) : [result];
    return results.reduce((n, r) => n + (r.rowCount ?? 0), 0);
  }
}

function documentJson(doc: unknown, collection: string, id: string): string {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'doc',
      `Document ${collection}/${id} must be a JSON object, got ${Array.isArray(doc) ? 'an array' : typeof doc}`,
    );
  }
  return JSON.stringify(doc);
}
