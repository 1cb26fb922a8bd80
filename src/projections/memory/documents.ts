import { NotSupportedError, ProjectionNotFoundError } from '../../core/errors.js';
import { assertDeclaredCollection, documentJson, patchFields } from '../document-args.js';
import { checkFilter, checkFind, matches, sortDocuments } from '../filter.js';
import { assertDocumentId, physicalName } from '../names.js';
import type { GenerationLayout } from '../storage.js';
import type { DocumentCollection, Filter, FindOptions, ProjectionTx } from '../types.js';

/** A table in memory: id → JSON text (so callers never share objects with the store). */
export type MemoryTable = Map<string, string>;

/** Records how to undo a write, for rollback of the enclosing transaction or savepoint. */
export type Undo = (step: () => void) => void;

export class MemoryDocuments<T extends object> implements DocumentCollection<T> {
  readonly #table: () => MemoryTable;
  readonly #collection: string;
  readonly #undo: Undo;

  constructor(table: () => MemoryTable, collection: string, undo: Undo) {
    this.#table = table;
    this.#collection = collection;
    this.#undo = undo;
  }

  async get(id: string): Promise<T | undefined> {
    assertDocumentId(id, this.#collection);
    const json = this.#table().get(id);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async upsert(id: string, doc: T): Promise<void> {
    assertDocumentId(id, this.#collection);
    this.#write(id, documentJson(doc, this.#collection, id));
  }

  async patch(id: string, changes: Partial<T>): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    const entries = patchFields(changes, this.#collection, id);
    const json = this.#table().get(id);
    if (json === undefined) return false;
    if (entries.length === 0) return true;
    this.#write(id, JSON.stringify({ ...(JSON.parse(json) as object), ...Object.fromEntries(entries) }));
    return true;
  }

  async delete(id: string): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    const table = this.#table();
    const before = table.get(id);
    if (before === undefined) return false;
    table.delete(id);
    this.#undo(() => table.set(id, before));
    return true;
  }

  async find(filter?: Filter, options?: FindOptions): Promise<T[]> {
    const conditions = checkFilter(filter);
    const find = checkFind(options);
    const rows: { id: string; doc: T }[] = [];
    for (const [id, json] of this.#table()) {
      const doc = JSON.parse(json) as T;
      if (matches(doc, conditions)) rows.push({ id, doc });
    }
    const sorted = sortDocuments(rows, find.orderBy);
    const start = find.offset ?? 0;
    const end = find.limit === undefined ? undefined : start + find.limit;
    return sorted.slice(start, end).map((r) => r.doc);
  }

  async count(filter?: Filter): Promise<number> {
    const conditions = checkFilter(filter);
    let n = 0;
    for (const json of this.#table().values()) if (matches(JSON.parse(json), conditions)) n++;
    return n;
  }

  #write(id: string, json: string): void {
    const table = this.#table();
    const before = table.get(id);
    table.set(id, json);
    this.#undo(() => (before === undefined ? table.delete(id) : table.set(id, before)));
  }
}

/** The handler's transaction in memory: document collections only; raw SQL is not supported. */
export class MemoryProjectionTx implements ProjectionTx {
  readonly dialect = 'memory';
  readonly #tables: Map<string, MemoryTable>;
  readonly #layout: GenerationLayout;
  readonly #undo: Undo;
  readonly #guard: (operation: string) => void;

  constructor(
    tables: Map<string, MemoryTable>,
    layout: GenerationLayout,
    undo: Undo,
    guard: (operation: string) => void,
  ) {
    this.#tables = tables;
    this.#layout = layout;
    this.#undo = undo;
    this.#guard = guard;
  }

  documents<T extends object = Record<string, unknown>>(collection: string): DocumentCollection<T> {
    assertDeclaredCollection(this.#layout, collection);
    const physical = physicalName(collection, this.#layout.generation);
    const table = () => {
      this.#guard(`use ${collection}`);
      const t = this.#tables.get(physical);
      if (t === undefined)
        throw new ProjectionNotFoundError(`table ${physical} (its generation was dropped)`);
      return t;
    };
    return new MemoryDocuments<T>(table, collection, this.#undo);
  }

  table(_name: string): string {
    throw new NotSupportedError('raw tables', 'memory');
  }

  async sql<R>(): Promise<R[]> {
    throw new NotSupportedError('raw SQL', 'memory');
  }

  async exec(): Promise<number> {
    throw new NotSupportedError('raw SQL', 'memory');
  }
}
