import { ErrorCodes, ValidationError } from './errors.js';
import type { JsonSchema, RegistryDescription, TypeDescription } from './schema-registry.js';

/** The committed record of the registry that `factum schema check` compares against. */
export interface SchemaLock {
  factumSchemaLock: 1;
  types: Record<string, TypeDescription>;
}

export type SchemaChangeKind =
  // breaking
  | 'type-removed'
  | 'version-removed'
  | 'field-removed'
  | 'field-renamed'
  | 'type-changed'
  | 'required-added'
  | 'enum-narrowed'
  | 'schema-changed'
  | 'upcaster-missing'
  // compatible
  | 'type-added'
  | 'version-added'
  | 'field-added'
  | 'field-optional'
  | 'enum-widened';

export interface SchemaChange {
  /** The event type. */
  type: string;
  /** The schema version the change is in (for a new version: that version, compared with the locked current one). */
  version: number;
  kind: SchemaChangeKind;
  breaking: boolean;
  /** Where in the data, as a dotted path ('' for the data itself, 'items[].sku' inside arrays). */
  path: string;
  message: string;
}

const BREAKING: ReadonlySet<SchemaChangeKind> = new Set<SchemaChangeKind>([
  'type-removed',
  'version-removed',
  'field-removed',
  'field-renamed',
  'type-changed',
  'required-added',
  'enum-narrowed',
  'schema-changed',
  'upcaster-missing',
]);

/** The lock file content for a registry. */
export function lockRegistry(description: RegistryDescription): SchemaLock {
  return { factumSchemaLock: 1, types: description.types };
}

/** Parses and checks a lock file's JSON. */
export function parseSchemaLock(json: string, source = 'schema lock'): SchemaLock {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'lock',
      `${source} is not JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  const lock = parsed as Partial<SchemaLock>;
  if (
    typeof lock !== 'object' ||
    lock === null ||
    lock.factumSchemaLock !== 1 ||
    typeof lock.types !== 'object'
  ) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'lock',
      `${source} is not a Factum schema lock (expected {"factumSchemaLock": 1, "types": {…}})`,
    );
  }
  return lock as SchemaLock;
}

/**
 * Compares the registry with the lock. Breaking: a removed type or version, a removed or renamed
 * field, a changed type, a new required field without a default, a narrowed enum, a new current
 * version that stored events cannot reach through upcasters. Compatible: new types, new versions,
 * new optional fields (or required ones with a default), widened enums.
 */
export function compareWithLock(lock: SchemaLock, current: RegistryDescription): SchemaChange[] {
  const changes: SchemaChange[] = [];
  for (const [type, locked] of Object.entries(lock.types)) {
    const now = current.types[type];
    if (now === undefined) {
      changes.push(
        change(type, locked.currentVersion, 'type-removed', '', `type ${type} is no longer registered`),
      );
      continue;
    }
    for (const [v, oldSchema] of Object.entries(locked.versions)) {
      const version = Number(v);
      const newSchema = now.versions[v];
      if (newSchema === undefined) {
        changes.push(
          change(type, version, 'version-removed', '', `schema version ${version} is no longer registered`),
        );
      } else {
        diffSchemas(oldSchema, newSchema, { type, version, path: '', changes });
      }
    }
    if (now.currentVersion > locked.currentVersion) {
      compareNewVersion(type, locked, now, changes);
    }
  }
  for (const [type, now] of Object.entries(current.types)) {
    if (lock.types[type] === undefined) {
      changes.push(change(type, now.currentVersion, 'type-added', '', `new type ${type}`));
    }
  }
  return changes;
}

function compareNewVersion(
  type: string,
  locked: TypeDescription,
  now: TypeDescription,
  out: SchemaChange[],
): void {
  const version = now.currentVersion;
  out.push(
    change(
      type,
      version,
      'version-added',
      '',
      `new schema version ${version} (locked: v${locked.currentVersion})`,
    ),
  );
  // Stored events of the locked version must reach the new one through upcaster steps.
  const steps = new Map(now.upcasters.map((s) => [s.fromVersion, s.toVersion]));
  let v = locked.currentVersion;
  while (v < version) {
    const next = steps.get(v);
    if (next === undefined) {
      out.push(
        change(
          type,
          version,
          'upcaster-missing',
          '',
          `no upcaster from v${v}: events stored as v${locked.currentVersion} cannot be read as v${version}`,
        ),
      );
      break;
    }
    v = next;
  }
  const before = locked.versions[String(locked.currentVersion)];
  const after = now.versions[String(version)];
  if (before !== undefined && after !== undefined)
    diffSchemas(before, after, { type, version, path: '', changes: out });
}

interface DiffContext {
  type: string;
  version: number;
  path: string;
  changes: SchemaChange[];
}

const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  'examples',
  'default',
  'deprecated',
]);
const COMPOSITION = ['anyOf', 'oneOf', 'allOf', 'not', 'if', 'then', 'else', '$ref', '$defs', 'definitions'];

function diffSchemas(oldSchema: unknown, newSchema: unknown, ctx: DiffContext): void {
  const before = asSchema(oldSchema);
  const after = asSchema(newSchema);
  if (deepEqual(strip(before), strip(after))) return;
  const at = ctx.path === '' ? 'the data' : `'${ctx.path}'`;
  if (COMPOSITION.some((k) => before[k] !== undefined || after[k] !== undefined)) {
    if (!deepEqual(pick(before, COMPOSITION), pick(after, COMPOSITION))) {
      push(ctx, 'schema-changed', `${at}: a composite schema (anyOf/oneOf/allOf/$ref) changed`);
      return;
    }
  }
  const oldTypes = typesOf(before);
  const newTypes = typesOf(after);
  if (oldTypes !== undefined && newTypes !== undefined && !sameSet(oldTypes, newTypes)) {
    push(ctx, 'type-changed', `${at} changed type from ${oldTypes.join('|')} to ${newTypes.join('|')}`);
    return;
  }
  diffEnums(before, after, ctx, at);
  diffObjects(before, after, ctx);
  if (before.items !== undefined && after.items !== undefined) {
    diffSchemas(before.items, after.items, { ...ctx, path: `${ctx.path}[]` });
  }
}

function diffEnums(before: JsonSchema, after: JsonSchema, ctx: DiffContext, at: string): void {
  const oldValues = enumOf(before);
  const newValues = enumOf(after);
  if (newValues === undefined) {
    if (oldValues !== undefined) push(ctx, 'enum-widened', `${at} accepts any value of its type now`);
    return;
  }
  if (oldValues === undefined) {
    push(ctx, 'enum-narrowed', `${at} is now restricted to ${list(newValues)}`);
    return;
  }
  const removed = oldValues.filter((v) => !newValues.some((n) => deepEqual(n, v)));
  const added = newValues.filter((v) => !oldValues.some((o) => deepEqual(o, v)));
  if (removed.length > 0) push(ctx, 'enum-narrowed', `${at} no longer accepts ${list(removed)}`);
  if (added.length > 0) push(ctx, 'enum-widened', `${at} also accepts ${list(added)}`);
}

function diffObjects(before: JsonSchema, after: JsonSchema, ctx: DiffContext): void {
  const oldProps = propertiesOf(before);
  const newProps = propertiesOf(after);
  const oldRequired = new Set(requiredOf(before));
  const newRequired = new Set(requiredOf(after));
  const child = (name: string) => (ctx.path === '' ? name : `${ctx.path}.${name}`);
  const removed = Object.keys(oldProps).filter((k) => !(k in newProps));
  const added = new Set(Object.keys(newProps).filter((k) => !(k in oldProps)));
  for (const name of removed) {
    const renamedTo = [...added].find((a) =>
      deepEqual(strip(asSchema(oldProps[name])), strip(asSchema(newProps[a]))),
    );
    if (renamedTo !== undefined) {
      added.delete(renamedTo);
      push(
        { ...ctx, path: child(name) },
        'field-renamed',
        `field '${child(name)}' was renamed to '${child(renamedTo)}'`,
      );
    } else {
      push({ ...ctx, path: child(name) }, 'field-removed', `field '${child(name)}' was removed`);
    }
  }
  for (const name of added) {
    const path = child(name);
    if (newRequired.has(name) && !hasDefault(newProps[name])) {
      push({ ...ctx, path }, 'required-added', `new required field '${path}' has no default`);
    } else {
      push({ ...ctx, path }, 'field-added', `new optional field '${path}'`);
    }
  }
  for (const name of Object.keys(oldProps)) {
    if (!(name in newProps)) continue;
    const path = child(name);
    if (newRequired.has(name) && !oldRequired.has(name)) {
      if (hasDefault(newProps[name]))
        push({ ...ctx, path }, 'field-added', `field '${path}' is now required, with a default`);
      else push({ ...ctx, path }, 'required-added', `field '${path}' is now required and has no default`);
    } else if (oldRequired.has(name) && !newRequired.has(name)) {
      push({ ...ctx, path }, 'field-optional', `field '${path}' is optional now`);
    }
    diffSchemas(oldProps[name], newProps[name], { ...ctx, path });
  }
}

function push(ctx: DiffContext, kind: SchemaChangeKind, message: string): void {
  ctx.changes.push(change(ctx.type, ctx.version, kind, ctx.path, message));
}

function change(
  type: string,
  version: number,
  kind: SchemaChangeKind,
  path: string,
  message: string,
): SchemaChange {
  return { type, version, kind, breaking: BREAKING.has(kind), path, message };
}

function asSchema(value: unknown): JsonSchema {
  if (value === true || value === undefined) return {};
  if (value === false) return { not: {} };
  return value as JsonSchema;
}

function strip(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) if (!ANNOTATIONS.has(k)) out[k] = v;
  return out;
}

function pick(schema: JsonSchema, keys: readonly string[]): JsonSchema {
  const out: JsonSchema = {};
  for (const k of keys) if (schema[k] !== undefined) out[k] = schema[k];
  return out;
}

function typesOf(schema: JsonSchema): string[] | undefined {
  const t = schema.type;
  let types: string[] | undefined;
  if (typeof t === 'string') types = [t];
  else if (Array.isArray(t)) types = t.filter((x): x is string => typeof x === 'string');
  else if (schema.properties !== undefined) types = ['object'];
  else if (schema.items !== undefined) types = ['array'];
  // 'integer' is a 'number' with a constraint; keep them apart, a consumer may rely on either.
  return types?.slice().sort();
}

function enumOf(schema: JsonSchema): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum;
  if ('const' in schema) return [schema.const];
  return undefined;
}

function propertiesOf(schema: JsonSchema): Record<string, unknown> {
  const p = schema.properties;
  return typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
}

function requiredOf(schema: JsonSchema): string[] {
  return Array.isArray(schema.required)
    ? schema.required.filter((x): x is string => typeof x === 'string')
    : [];
}

function hasDefault(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && 'default' in schema;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function list(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
