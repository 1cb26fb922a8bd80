import { NotSupportedError } from '../../core/errors.js';
import { assertDeclaredCollection, documentJson, patchFields } from '../document-args.js';
import { type Condition, checkFilter, checkFind, matches, sortDocuments } from '../filter.js';
import { assertDocumentId } from '../names.js';
import type { GenerationLayout } from '../storage.js';
import type { DocumentCollection, Filter, FindOptions, ProjectionTx } from '../types.js';
import { command, type RedisCommands } from './client.js';
import { docsKey, indexSetKey } from './keys.js';
import type { Pending } from './pending.js';

/** One generation of a projection as a transaction sees it: its key prefix and declared indexes. */
export interface GenerationHandle {
  gen: string;
  indexes(collection: string): readonly (readonly string[])[];
}

/** What documents read and write through: the client, the transaction's writes (none when reading). */
export interface DocumentScope {
  client: RedisCommands;
  pending: Pending | undefined;
  /** Resolves the generation (throws when it does not exist) and refuses use of an ended transaction. */
  generation(layout: GenerationLayout): Promise<GenerationHandle>;
  /** The generation if this transaction resolved it already (no await on every document call). */
  known(layout: GenerationLayout): GenerationHandle | undefined;
}

export class RedisProjectionTx implements ProjectionTx {
  readonly dialect = 'redis';
  readonly #scope: DocumentScope;
  readonly #layout: GenerationLayout;

  constructor(scope: DocumentScope, layout: GenerationLayout) {
    this.#scope = scope;
    this.#layout = layout;
  }

  documents<T extends object = Record<string, unknown>>(collection: string): DocumentCollection<T> {
    assertDeclaredCollection(this.#layout, collection);
    return new RedisDocuments<T>(this.#scope, this.#layout, collection);
  }

  table(): string {
    throw new NotSupportedError('raw tables (use documents)', 'Redis');
  }

  async sql<R>(): Promise<R[]> {
    throw new NotSupportedError('raw SQL (use documents)', 'Redis');
  }

  async exec(): Promise<number> {
    throw new NotSupportedError('raw SQL (use documents)', 'Redis');
  }
}

/**
 * A collection as a hash of JSON documents. Equality filters on a declared index read its set;
 * other filters, ranges and ordering are evaluated over the candidates (the whole hash without one).
 */
class RedisDocuments<T extends object> implements DocumentCollection<T> {
  readonly #scope: DocumentScope;
  readonly #layout: GenerationLayout;
  readonly #collection: string;

  constructor(scope: DocumentScope, layout: GenerationLayout, collection: string) {
    this.#scope = scope;
    this.#layout = layout;
    this.#collection = collection;
  }

  async get(id: string): Promise<T | undefined> {
    assertDocumentId(id, this.#collection);
    const json = await this.#json(this.#known() ?? (await this.#resolve()), id);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async upsert(id: string, doc: T): Promise<void> {
    assertDocumentId(id, this.#collection);
    const json = documentJson(doc, this.#collection, id);
    this.#write(this.#known() ?? (await this.#resolve()), id, json, doc);
  }

  async patch(id: string, changes: Partial<T>): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    const entries = patchFields(changes, this.#collection, id);
    const handle = this.#known() ?? (await this.#resolve());
    const json = await this.#json(handle, id);
    if (json === undefined) return false;
    if (entries.length === 0) return true;
    const doc = { ...(JSON.parse(json) as object), ...Object.fromEntries(entries) };
    this.#write(handle, id, JSON.stringify(doc), doc);
    return true;
  }

  async delete(id: string): Promise<boolean> {
    assertDocumentId(id, this.#collection);
    const handle = this.#known() ?? (await this.#resolve());
    if ((await this.#json(handle, id)) === undefined) return false;
    this.#writes(handle).docs.set(id, null);
    return true;
  }

  async find(filter?: Filter, options?: FindOptions): Promise<T[]> {
    const conditions = checkFilter(filter);
    const find = checkFind(options);
    const rows = await this.#matching(conditions);
    const sorted = sortDocuments(rows, find.orderBy);
    const start = find.offset ?? 0;
    const end = find.limit === undefined ? undefined : start + find.limit;
    return sorted.slice(start, end).map((r) => r.doc);
  }

  async count(filter?: Filter): Promise<number> {
    const conditions = checkFilter(filter);
    if (conditions.length === 0 && this.#overlay(this.#known() ?? (await this.#resolve())) === undefined) {
      const handle = this.#known() ?? (await this.#resolve());
      return command<number>(this.#scope.client, ['HLEN', docsKey(handle.gen, this.#collection)]);
    }
    return (await this.#matching(conditions)).length;
  }

  /** Committed candidates (from an index set when an index's fields all have an equality), with this transaction's writes over them. */
  async #matching(conditions: readonly Condition[]): Promise<{ id: string; doc: T }[]> {
    const handle = this.#known() ?? (await this.#resolve());
    const { client } = this.#scope;
    const key = docsKey(handle.gen, this.#collection);
    const found = new Map<string, string>();
    const set = this.#indexSet(handle, conditions);
    if (set === undefined) {
      const flat = await command<string[]>(client, ['HGETALL', key]);
      for (let i = 0; i < flat.length; i += 2) found.set(flat[i]!, flat[i + 1]!);
    } else {
      const ids = await command<string[]>(client, ['SMEMBERS', set]);
      if (ids.length > 0) {
        const docs = await command<(string | null)[]>(client, ['HMGET', key, ...ids]);
        ids.forEach((id, n) => {
          const json = docs[n];
          if (json !== null && json !== undefined) found.set(id, json);
        });
      }
    }
    const rows: { id: string; doc: T }[] = [];
    const overlay = this.#overlay(handle);
    if (overlay !== undefined) {
      for (const [id, entry] of overlay) {
        if (entry === null) found.delete(id);
        else found.set(id, entry.json);
      }
    }
    for (const [id, json] of found) {
      const doc = JSON.parse(json) as T;
      if (matches(doc, conditions)) rows.push({ id, doc });
    }
    return rows;
  }

  #indexSet(handle: GenerationHandle, conditions: readonly Condition[]): string | undefined {
    const equal = new Map<string, unknown>();
    for (const c of conditions) if (c.op === 'eq') equal.set(c.field, c.value);
    if (equal.size === 0) return undefined;
    const indexes = handle.indexes(this.#collection);
    for (const [n, fields] of indexes.entries()) {
      if (!fields.every((f) => equal.has(f))) continue;
      return indexSetKey(handle.gen, this.#collection, n, JSON.stringify(fields.map((f) => equal.get(f))));
    }
    return undefined;
  }

  /** The generation when this transaction resolved it already: most calls need no await for it. */
  #known(): GenerationHandle | undefined {
    return this.#scope.known(this.#layout);
  }

  #resolve(): Promise<GenerationHandle> {
    return this.#scope.generation(this.#layout);
  }

  #overlay(handle: GenerationHandle) {
    const writes = this.#scope.pending?.collections.get(docsKey(handle.gen, this.#collection));
    return writes === undefined || writes.docs.size === 0 ? undefined : writes.docs;
  }

  async #json(handle: GenerationHandle, id: string): Promise<string | undefined> {
    const entry = this.#overlay(handle)?.get(id);
    if (entry !== undefined) return entry === null ? undefined : entry.json;
    const json = await command<string | null>(this.#scope.client, [
      'HGET',
      docsKey(handle.gen, this.#collection),
      id,
    ]);
    return json ?? undefined;
  }

  #writes(handle: GenerationHandle) {
    const pending = this.#scope.pending;
    if (pending === undefined) throw new TypeError('Documents are read-only outside a transaction');
    return pending.collection(handle.gen, this.#collection, handle.indexes(this.#collection));
  }

  #write(handle: GenerationHandle, id: string, json: string, doc: object): void {
    const writes = this.#writes(handle);
    this.#scope.pending?.put(writes, id, json, doc);
  }
}
