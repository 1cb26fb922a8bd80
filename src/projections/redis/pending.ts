import { fieldValue } from '../filter.js';
import { docsKey, indexOfKey, indexSetKey } from './keys.js';
import type { ScriptOps } from './script.js';

/** A collection's writes in one transaction: id → document (parsed and as JSON), or null (deleted). */
export interface CollectionWrites {
  gen: string;
  collection: string;
  indexes: readonly (readonly string[])[];
  docs: Map<string, { json: string; doc: object } | null>;
}

/**
 * Everything a transaction writes to Redis, held until it commits (readers see committed state
 * only; the transaction's own reads see these writes), then sent as one script.
 */
export class Pending {
  collections = new Map<string, CollectionWrites>();
  /** Checkpoint key → position (null: delete); `guards` are strict (a batch's). */
  checkpoints = new Map<string, bigint | null>();
  guards = new Map<string, bigint>();
  keys = new Map<string, string | null>();
  hashFields: [string, string, string][] = [];
  /** Generation prefixes to delete in the background once the transaction committed. */
  drops: string[] = [];

  collection(gen: string, collection: string, indexes: readonly (readonly string[])[]): CollectionWrites {
    const key = docsKey(gen, collection);
    let writes = this.collections.get(key);
    if (writes === undefined) {
      writes = { gen, collection, indexes, docs: new Map() };
      this.collections.set(key, writes);
    }
    return writes;
  }

  get empty(): boolean {
    return (
      this.collections.size === 0 &&
      this.checkpoints.size === 0 &&
      this.guards.size === 0 &&
      this.keys.size === 0 &&
      this.hashFields.length === 0
    );
  }

  snapshot(): Pending {
    const copy = new Pending();
    for (const [k, c] of this.collections) copy.collections.set(k, { ...c, docs: new Map(c.docs) });
    copy.checkpoints = new Map(this.checkpoints);
    copy.guards = new Map(this.guards);
    copy.keys = new Map(this.keys);
    copy.hashFields = [...this.hashFields];
    copy.drops = [...this.drops];
    return copy;
  }

  restore(from: Pending): void {
    this.collections = from.collections;
    this.checkpoints = from.checkpoints;
    this.guards = from.guards;
    this.keys = from.keys;
    this.hashFields = from.hashFields;
    this.drops = from.drops;
  }

  ops(pad: (position: bigint) => string): ScriptOps {
    const w: ScriptOps['w'] = [];
    for (const c of this.collections.values()) {
      const docs = docsKey(c.gen, c.collection);
      const ix = indexOfKey(c.gen, c.collection);
      for (const [id, entry] of c.docs) {
        if (entry === null) {
          w.push([docs, ix, id, false, '[]', []]);
          continue;
        }
        const sets = c.indexes.map((fields, n) =>
          indexSetKey(c.gen, c.collection, n, indexValues(entry.doc, fields)),
        );
        w.push([docs, ix, id, entry.json, JSON.stringify(sets), sets]);
      }
    }
    return {
      g: [...this.guards].map(([k, p]) => [k, pad(p)]),
      w,
      c: [
        ...[...this.checkpoints].map(([k, p]): [string, string | false] => [k, p === null ? false : pad(p)]),
        ...[...this.guards].map(([k, p]): [string, string] => [k, pad(p)]),
      ],
      h: this.hashFields,
      s: [...this.keys].map(([k, v]) => [k, v ?? false]),
    };
  }
}

/** The values of an index's fields in a document, as the key of its index set. */
export function indexValues(doc: unknown, fields: readonly string[]): string {
  return JSON.stringify(fields.map((f) => fieldValue(doc, f)));
}
