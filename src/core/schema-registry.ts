import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { NewEvent, StoredEvent } from './envelope.js';
import {
  ErrorCodes,
  SchemaValidationError,
  type SchemaViolation,
  UnknownEventTypeError,
  UpcastChainBrokenError,
  UpcastFailedError,
  ValidationError,
} from './errors.js';

/** A JSON Schema (draft 2020-12 or draft-07 keywords) describing one version of an event's data. */
export type JsonSchema = { [keyword: string]: unknown };

/** A Zod 4 schema (anything with `toJSONSchema()`), turned into JSON Schema when registered. */
export interface JsonSchemaSource {
  toJSONSchema(params?: { io?: 'input' | 'output' }): unknown;
}

export interface SchemaRegistration {
  /** The event type, e.g. 'OrderPlaced'. */
  type: string;
  /** The schema version (1, 2, …). The highest registered version is the one appends are stamped with. */
  version: number;
  /** JSON Schema of the event's data, or a Zod 4 schema. */
  schema: JsonSchema | JsonSchemaSource;
  /** The stream category the type is written to ('order'); groups types into channels on export. */
  category?: string;
  /** Free text, exported to AsyncAPI. */
  description?: string;
}

/** One step of an upcaster chain: data of `type` at `fromVersion` becomes data at `toVersion`. */
export interface UpcasterStep {
  type: string;
  fromVersion: number;
  toVersion: number;
  /**
   * Returns the data in the newer shape. Gets its own copy of the data (changing it in place and
   * returning it is fine) and the stored event for context. Stored rows never change.
   */
  // biome-ignore lint/suspicious/noExplicitAny: upcasters are written against untyped stored JSON.
  upcast: (data: any, event: StoredEvent) => unknown;
}

export interface SchemaRegistryOptions {
  /** Reject appends of event types that are not registered (default false: they pass unvalidated). */
  strict?: boolean;
}

/** The registry as plain data (what `factum schema lock` writes and `export --asyncapi` reads). */
export interface RegistryDescription {
  strict: boolean;
  types: Record<string, TypeDescription>;
}

export interface TypeDescription {
  category?: string;
  description?: string;
  /** The version appends are stamped with and reads are upcast to. */
  currentVersion: number;
  /** JSON Schema per version ('1', '2', …), as registered. */
  versions: Record<string, JsonSchema>;
  upcasters: { fromVersion: number; toVersion: number }[];
}

interface TypeEntry {
  category?: string;
  description?: string;
  schemas: Map<number, { schema: JsonSchema; validate: ValidateFunction }>;
  upcasters: Map<number, UpcasterStep>;
  current: number;
}

const REGISTRY_BRAND = Symbol.for('factum.schemaRegistry');

const require = createRequire(import.meta.url);

/**
 * ajv is loaded when the first registry is made, not when 'factum' is imported: an application that
 * uses no registry does not pay for it.
 */
function newAjv(): Ajv2020 {
  const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const formats = require('ajv-formats') as { default?: (ajv: Ajv2020) => Ajv2020 } & ((
    ajv: Ajv2020,
  ) => Ajv2020);
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    logger: false,
    validateSchema: true,
  });
  (formats.default ?? formats)(ajv);
  return ajv;
}

/**
 * Event types and their JSON Schemas per version, with upcaster steps between versions. Wrap a store
 * with `withSchemas(store, registry)` to validate and stamp appends and upcast reads.
 */
export class SchemaRegistry {
  readonly [REGISTRY_BRAND] = true;
  readonly strict: boolean;
  readonly #types = new Map<string, TypeEntry>();
  readonly #ajv: Ajv2020;

  constructor(options: SchemaRegistryOptions = {}) {
    this.strict = options.strict ?? false;
    this.#ajv = newAjv();
  }

  /** Registers one version of an event type's schema. Returns the registry, for chaining. */
  register(registration: SchemaRegistration): this {
    const { type, version } = registration;
    checkType(type);
    checkVersion(`${type} version`, version);
    const entry = this.#entry(type);
    if (entry.schemas.has(version)) {
      throw invalid('version', `${type} v${version} is already registered`);
    }
    if (registration.category !== undefined) {
      if (typeof registration.category !== 'string' || registration.category.length === 0) {
        throw invalid('category', `${type}: category must be a non-empty string`);
      }
      if (entry.category !== undefined && entry.category !== registration.category) {
        throw invalid(
          'category',
          `${type} is already registered in category ${entry.category}, not ${registration.category}`,
        );
      }
      entry.category = registration.category;
    }
    if (registration.description !== undefined) entry.description = registration.description;
    const schema = toJsonSchema(type, version, registration.schema);
    let validate: ValidateFunction;
    try {
      const { $schema: _dialect, ...body } = schema;
      validate = this.#ajv.compile(body);
    } catch (cause) {
      throw invalid('schema', `${type} v${version}: invalid JSON Schema: ${(cause as Error).message}`, cause);
    }
    entry.schemas.set(version, { schema, validate });
    entry.current = Math.max(entry.current, version);
    return this;
  }

  /** Registers one upcaster step. Steps chain at read time: v1 → v2 → v3. */
  upcaster(step: UpcasterStep): this {
    const { type, fromVersion, toVersion } = step;
    checkType(type);
    checkVersion(`${type} fromVersion`, fromVersion);
    checkVersion(`${type} toVersion`, toVersion);
    if (toVersion <= fromVersion) {
      throw invalid(
        'toVersion',
        `${type}: an upcaster goes to a higher version (got v${fromVersion} → v${toVersion})`,
      );
    }
    if (typeof step.upcast !== 'function') throw invalid('upcast', `${type}: upcast must be a function`);
    const entry = this.#entry(type);
    const existing = entry.upcasters.get(fromVersion);
    if (existing !== undefined) {
      throw invalid(
        'fromVersion',
        `${type}: an upcaster from v${fromVersion} is already registered (to v${existing.toVersion})`,
      );
    }
    entry.upcasters.set(fromVersion, { ...step });
    entry.current = Math.max(entry.current, toVersion);
    return this;
  }

  /** The version appends of `type` are stamped with and reads are upcast to; undefined when unknown. */
  currentVersion(type: string): number | undefined {
    return this.#types.get(type)?.current;
  }

  /** Registered types, sorted. */
  types(): string[] {
    return [...this.#types.keys()].sort();
  }

  /** The registry as plain data, with types and versions in a stable order. */
  describe(): RegistryDescription {
    const types: Record<string, TypeDescription> = {};
    for (const type of this.types()) {
      const entry = this.#types.get(type)!;
      const versions: Record<string, JsonSchema> = {};
      for (const v of [...entry.schemas.keys()].sort((a, b) => a - b)) {
        versions[String(v)] = entry.schemas.get(v)!.schema;
      }
      const description: TypeDescription = {
        currentVersion: entry.current,
        versions,
        upcasters: [...entry.upcasters.values()]
          .sort((a, b) => a.fromVersion - b.fromVersion)
          .map((s) => ({ fromVersion: s.fromVersion, toVersion: s.toVersion })),
      };
      if (entry.category !== undefined) description.category = entry.category;
      if (entry.description !== undefined) description.description = entry.description;
      types[type] = description;
    }
    return { strict: this.strict, types };
  }

  /**
   * Checks an append's events and stamps each registered type with its schema version (the current
   * one unless the event names a registered one). Throws SchemaValidationError listing every
   * violation of every event, or UnknownEventTypeError in strict mode; returns new event objects.
   */
  prepare(streamId: string, events: readonly NewEvent[]): NewEvent[] {
    if (!Array.isArray(events)) return events as NewEvent[];
    const violations: SchemaViolation[] = [];
    const out: NewEvent[] = new Array(events.length);
    for (let index = 0; index < events.length; index++) {
      const event = events[index]!;
      const entry =
        event !== null && typeof event === 'object' && typeof event.type === 'string'
          ? this.#types.get(event.type)
          : undefined;
      if (entry === undefined) {
        if (this.strict && event !== null && typeof event === 'object' && typeof event.type === 'string') {
          throw new UnknownEventTypeError(streamId, event.type);
        }
        out[index] = event;
        continue;
      }
      const schemaVersion = event.schemaVersion ?? entry.current;
      out[index] = event.schemaVersion === schemaVersion ? event : { ...event, schemaVersion };
      if (entry.schemas.size === 0) continue;
      const compiled = entry.schemas.get(schemaVersion);
      if (compiled === undefined) {
        violations.push({
          index,
          type: event.type,
          schemaVersion,
          path: '',
          message: `schema version ${schemaVersion} is not registered (registered: ${[...entry.schemas.keys()].sort((a, b) => a - b).join(', ')})`,
        });
        continue;
      }
      if (!compiled.validate(event.data) && !validatesAsStored(compiled.validate, event.data)) {
        // Report the violations of the data as it would be stored (a Date is its ISO string there).
        compiled.validate(jsonCopy(event.data) ?? event.data);
        for (const error of compiled.validate.errors ?? []) {
          violations.push({
            index,
            type: event.type,
            schemaVersion,
            path: error.instancePath,
            message: describeError(error),
          });
        }
      }
    }
    if (violations.length > 0) throw new SchemaValidationError(streamId, violations);
    return out;
  }

  /** The event in its type's current schema version: the upcaster steps applied in a chain. */
  upcast<E extends StoredEvent>(event: E): E {
    const entry = this.#types.get(event.type);
    if (entry === undefined || event.schemaVersion >= entry.current) return event;
    let version = event.schemaVersion;
    let data: unknown = structuredClone(event.data);
    while (version < entry.current) {
      const step = entry.upcasters.get(version);
      if (step === undefined) {
        throw new UpcastChainBrokenError(event.type, event.id, event.schemaVersion, version, entry.current);
      }
      try {
        data = step.upcast(data, event);
      } catch (cause) {
        throw new UpcastFailedError(event.type, event.id, step.fromVersion, step.toVersion, cause);
      }
      version = step.toVersion;
    }
    return { ...event, data, schemaVersion: version };
  }

  #entry(type: string): TypeEntry {
    let entry = this.#types.get(type);
    if (entry === undefined) {
      entry = { schemas: new Map(), upcasters: new Map(), current: 0 };
      this.#types.set(type, entry);
    }
    return entry;
  }
}

/** A new, empty schema registry. */
export function createSchemaRegistry(options: SchemaRegistryOptions = {}): SchemaRegistry {
  return new SchemaRegistry(options);
}

/** Whether `value` is a SchemaRegistry (also one from another copy of the package). */
export function isSchemaRegistry(value: unknown): value is SchemaRegistry {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[REGISTRY_BRAND] === true
  );
}

function toJsonSchema(type: string, version: number, schema: unknown): JsonSchema {
  if (
    typeof schema === 'object' &&
    schema !== null &&
    typeof (schema as JsonSchemaSource).toJSONSchema === 'function'
  ) {
    let converted: unknown;
    try {
      converted = (schema as JsonSchemaSource).toJSONSchema({ io: 'input' });
    } catch (cause) {
      throw invalid(
        'schema',
        `${type} v${version}: cannot turn the schema into JSON Schema: ${(cause as Error).message}`,
        cause,
      );
    }
    return toJsonSchema(type, version, converted);
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw invalid('schema', `${type} v${version}: schema must be a JSON Schema object or a Zod schema`);
  }
  // A private copy: later changes to the caller's object must not change what was registered.
  return structuredClone(schema) as JsonSchema;
}

/**
 * Whether the data passes once turned into what the store keeps (JSON): a Date becomes its ISO
 * string, undefined properties disappear. Only tried when the data as given failed.
 */
function validatesAsStored(validate: ValidateFunction, data: unknown): boolean {
  const copy = jsonCopy(data);
  return copy !== undefined && validate(copy) === true;
}

function jsonCopy(data: unknown): unknown {
  try {
    const json = JSON.stringify(data);
    return json === undefined ? undefined : (JSON.parse(json) as unknown);
  } catch {
    // Not JSON at all: the store itself rejects it with FACTUM_INVALID_EVENT.
    return undefined;
  }
}

function describeError(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const message = error.message ?? error.keyword;
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `${message}: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return `${message}: '${params.additionalProperty}'`;
  }
  return message;
}

function checkType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || type.length === 0) {
    throw invalid('type', `An event type must be a non-empty string, got ${String(type)}`);
  }
}

function checkVersion(field: string, version: unknown): asserts version is number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw invalid('version', `${field} must be a positive integer, got ${String(version)}`);
  }
}

function invalid(field: string, message: string, cause?: unknown): ValidationError {
  return new ValidationError(
    ErrorCodes.INVALID_ARGUMENT,
    field,
    message,
    cause === undefined ? {} : { cause },
  );
}
