import { fieldValue } from '../filter.js';
import { docsKey, indexOfKey, indexSetKey, metaKey } from './keys.js';
import type { ScriptOps } from './script.js';

/** A collection's writes in one transaction: id → document JSON and its index sets, or null (deleted). */
export interface CollectionWrites {
  gen: string;
  collection: string;
  indexes: readonly (readonly string[])[];
  /** `ix`: the JSON list of the index set keys holding the document (the ix hash's value). */
  docs: Map<string, { json: string; ix: string } | null>;
}

const isOwnEnumerable = (o: object, key: string) => Object.prototype.propertyIsEnumerable.call(o, key);

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
  /**
   * Epoch key → the epoch the transaction used: the script applies only if it is still the stored
   * one (kept through a savepoint's rollback: what was read was read).
   */
  epochs = new Map<string, string>();
  hashFields: [string, string, string][] = [];
  /** Generation prefixes to delete in the background once the transaction committed. */
  drops: string[] = [];

  /**
   * Writes a document of the collection, with its index sets (from the stored JSON, as readers see
   * it). `doc`, when given, is what `json` was made from: its indexed values are taken from it when
   * they are what the JSON holds too, saving a parse.
   */
  put(writes: CollectionWrites, id: string, json: string, doc?: object): void {
    if (writes.indexes.length === 0) {
      writes.docs.set(id, { json, ix: '[]' });
      return;
    }
    const sets: string[] = [];
    let parsed: unknown;
    for (const [n, fields] of writes.indexes.entries()) {
      let values = doc === undefined ? undefined : plainIndexValues(doc, fields);
      if (values === undefined) {
        parsed ??= JSON.parse(json);
        values = indexValues(parsed, fields);
      }
      sets.push(indexSetKey(writes.gen, writes.collection, n, values));
    }
    writes.docs.set(id, { json, ix: JSON.stringify(sets) });
  }

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
    const args: string[] = [];
    for (const c of this.collections.values()) {
      if (c.docs.size === 0) continue;
      for (const [id, entry] of c.docs) {
        if (entry === null) args.push(id, '', '[]');
        else args.push(id, entry.json, entry.ix);
      }
      const meta = metaKey(c.gen);
      const own = this.hashFields.some(([key, field]) => key === meta && field === c.collection);
      w.push([
        docsKey(c.gen, c.collection),
        indexOfKey(c.gen, c.collection),
        c.docs.size,
        own ? false : meta,
        c.collection,
        JSON.stringify(c.indexes),
      ]);
    }
    return {
      args,
      // Checked before anything is written, so also for a generation this transaction drops.
      e: [...this.epochs],
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

const paths = new Map<string, readonly string[]>();

/** An index field's path, split once. */
function pathOf(field: string): readonly string[] {
  let path = paths.get(field);
  if (path === undefined) {
    path = field.split('.');
    paths.set(field, path);
  }
  return path;
}

/**
 * indexValues read from the object a document's JSON was made from, when each field's path goes
 * through plain objects (no toJSON) to a string, a boolean, a finite number or nothing: values the
 * JSON holds unchanged. Otherwise undefined (read them from the parsed JSON).
 */
function plainIndexValues(doc: object, fields: readonly string[]): string | undefined {
  const values: (string | number | null)[] = [];
  for (const field of fields) {
    let value: unknown = doc;
    for (const part of pathOf(field)) {
      if (typeof value !== 'object' || value === null) {
        value = undefined;
        break;
      }
      if (Array.isArray(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function')
        return undefined;
      // JSON holds own enumerable properties only.
      value = isOwnEnumerable(value, part) ? (value as Record<string, unknown>)[part] : undefined;
    }
    if (value === undefined || value === null) values.push(null);
    else if (typeof value === 'string') values.push(value);
    else if (typeof value === 'boolean') values.push(value ? 1 : 0);
    else if (typeof value === 'number' && Number.isFinite(value)) values.push(value);
    else return undefined;
  }
  return JSON.stringify(values);
}
