import type { EventMetadata, NewEvent } from './envelope.js';
import { categoryOf } from './envelope.js';
import { ErrorCodes, ValidationError } from './errors.js';
import { assertExpectedVersion, type ExpectedVersion } from './expected-version.js';
import { formatValue } from './format.js';
import { isUuid, newEventId } from './ids.js';
import { type TraceContext, tracingHook } from './tracing.js';

export const MAX_STREAM_ID_LENGTH = 255;
export const MAX_EVENT_TYPE_LENGTH = 255;

/** An event that passed validation, with its data and metadata already serialised once for the store. */
export interface PreparedEvent {
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  /** JSON text of the data. */
  readonly data: string;
  /** JSON text of the metadata. */
  readonly metadata: string;
  /** Whether the caller chose the id (only then can the append be a retry of an earlier one). */
  readonly callerId: boolean;
}

export interface PreparedAppend {
  readonly streamId: string;
  readonly category: string;
  readonly expectedVersion: ExpectedVersion | undefined;
  readonly events: readonly PreparedEvent[];
  /** True when at least one event carries an id the caller chose. */
  readonly hasCallerIds: boolean;
}

/** In a `u` regex, \p{Cs} matches only surrogates that are not part of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why not every store could keep `text` exactly as a stream id, category, type or name, or undefined
 * when all can. The stores keep these in text columns: PostgreSQL text cannot hold NUL, and SQLite
 * and PostgreSQL hold UTF-8, into which an unpaired UTF-16 surrogate would silently go as U+FFFD (so
 * 'a\uD800' and 'a\uDBFF' would become one stream). Data and metadata are not concerned: JSON
 * escapes both, so they round-trip on every store.
 */
export function unstorableText(text: string): string | undefined {
  const nul = text.indexOf('\u0000');
  if (nul !== -1) return `it contains a NUL character (at index ${nul}), which not every store can keep`;
  const lone = LONE_SURROGATE.exec(text);
  if (lone === null) return undefined;
  const unit = text.charCodeAt(lone.index).toString(16).toUpperCase();
  return `it contains an unpaired UTF-16 surrogate (\\u${unit} at index ${lone.index}), which not every store can keep exactly`;
}

export function assertStreamId(streamId: unknown, field = 'streamId'): asserts streamId is string {
  if (typeof streamId !== 'string') {
    throw new ValidationError(
      ErrorCodes.INVALID_STREAM_ID,
      field,
      `Invalid stream id: expected a string, got ${typeof streamId}`,
    );
  }
  if (streamId.length === 0) {
    throw new ValidationError(ErrorCodes.INVALID_STREAM_ID, field, 'Invalid stream id: it is empty');
  }
  if (streamId.length > MAX_STREAM_ID_LENGTH) {
    throw new ValidationError(
      ErrorCodes.INVALID_STREAM_ID,
      field,
      `Invalid stream id: ${streamId.length} characters, the limit is ${MAX_STREAM_ID_LENGTH} (starts with ${formatValue(streamId.slice(0, 40))})`,
    );
  }
  const unstorable = unstorableText(streamId);
  if (unstorable !== undefined) {
    throw new ValidationError(
      ErrorCodes.INVALID_STREAM_ID,
      field,
      `Invalid stream id ${formatValue(streamId)}: ${unstorable}`,
    );
  }
}

/** Validates an append and serialises each event once. Throws ValidationError; never partially accepts. */
export function prepareAppend(
  streamId: unknown,
  events: unknown,
  options: { expectedVersion?: unknown } | undefined,
): PreparedAppend {
  assertStreamId(streamId);
  const expectedVersion = options?.expectedVersion;
  assertExpectedVersion(expectedVersion);
  if (!Array.isArray(events)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'events',
      `append(${streamId}) needs an array of events, got ${typeof events}`,
    );
  }
  if (events.length === 0) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'events',
      `append(${streamId}) needs at least one event`,
    );
  }
  const prepared: PreparedEvent[] = new Array(events.length);
  let hasCallerIds = false;
  const seen = new Set<string>();
  // The creation context of every event: the active trace context, when a tracer is registered.
  const trace = tracingHook === undefined ? undefined : tracingHook.activeContext();
  for (let i = 0; i < events.length; i++) {
    const raw = events[i] as unknown;
    const event = prepareEvent(streamId, trace === undefined ? raw : withTraceContext(raw, trace), i);
    if (event.callerId) {
      hasCallerIds = true;
      if (seen.has(event.id)) {
        throw invalidEvent(streamId, i, 'id', `id ${event.id} appears twice in the same append`);
      }
      seen.add(event.id);
    }
    prepared[i] = event;
  }
  return { streamId, category: categoryOf(streamId), expectedVersion, events: prepared, hasCallerIds };
}

function prepareEvent(streamId: string, raw: unknown, index: number): PreparedEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalidEvent(streamId, index, 'event', 'expected an object with type and data');
  }
  const event = raw as Partial<NewEvent>;
  const { type } = event;
  if (typeof type !== 'string' || type.length === 0) {
    throw invalidEvent(streamId, index, 'type', 'type is missing or empty');
  }
  if (type.length > MAX_EVENT_TYPE_LENGTH) {
    throw invalidEvent(
      streamId,
      index,
      'type',
      `type is ${type.length} characters, the limit is ${MAX_EVENT_TYPE_LENGTH} (starts with ${formatValue(type.slice(0, 40))})`,
    );
  }
  const unstorable = unstorableText(type);
  if (unstorable !== undefined) {
    throw invalidEvent(streamId, index, 'type', `type ${formatValue(type)}: ${unstorable}`);
  }
  if (!isPlainObject(event.data)) {
    throw invalidEvent(streamId, index, 'data', `${type}: data must be a plain JSON object`);
  }
  if (event.metadata !== undefined && !isPlainObject(event.metadata)) {
    throw invalidEvent(streamId, index, 'metadata', `${type}: metadata must be a plain JSON object`);
  }
  checkMetadata(streamId, index, type, event.metadata);
  let id: string;
  let callerId = false;
  if (event.id === undefined) {
    id = newEventId();
  } else if (typeof event.id === 'string' && isUuid(event.id)) {
    id = event.id.toLowerCase();
    callerId = true;
  } else {
    throw invalidEvent(
      streamId,
      index,
      'id',
      `${type}: id must be a UUID string, got ${formatValue(event.id)}`,
    );
  }
  const schemaVersion = event.schemaVersion ?? 1;
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    throw invalidEvent(
      streamId,
      index,
      'schemaVersion',
      `${type}: schemaVersion must be a positive integer, got ${formatValue(schemaVersion)}`,
    );
  }
  return {
    id,
    type,
    schemaVersion,
    data: toJson(streamId, index, 'data', type, event.data),
    metadata: event.metadata === undefined ? '{}' : toJson(streamId, index, 'metadata', type, event.metadata),
    callerId,
  };
}

/**
 * The event with the creation context added to its metadata, unless the caller set a traceparent; a
 * copy, so the caller's objects are kept. What is not an event with plain metadata is left for
 * prepareEvent to refuse.
 */
function withTraceContext(raw: unknown, trace: TraceContext): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const metadata = (raw as Partial<NewEvent>).metadata;
  if (metadata !== undefined && !isPlainObject(metadata)) return raw;
  if (metadata?.traceparent !== undefined) return raw;
  const stamped: EventMetadata = { ...metadata, traceparent: trace.traceparent };
  if (trace.tracestate !== undefined && metadata?.tracestate === undefined) {
    stamped.tracestate = trace.tracestate;
  }
  return { ...raw, metadata: stamped };
}

const WELL_KNOWN_METADATA = ['correlationId', 'causationId', 'userId', 'traceparent', 'tracestate'] as const;

function checkMetadata(
  streamId: string,
  index: number,
  type: string,
  metadata: EventMetadata | undefined,
): void {
  if (metadata === undefined) return;
  for (const key of WELL_KNOWN_METADATA) {
    const value = metadata[key];
    if (value !== undefined && typeof value !== 'string') {
      throw invalidEvent(streamId, index, `metadata.${key}`, `${type}: metadata.${key} must be a string`);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * JSON.stringify that refuses what JSON cannot represent faithfully instead of silently changing it:
 * BigInt, functions, symbols, NaN/Infinity, undefined inside arrays, Map/Set/class instances, cycles.
 * Object properties whose value is undefined are dropped, as JSON does. A Date becomes its ISO string.
 * The native stringify runs first (it throws on cycles and BigInt); the walk then finds what it would
 * have dropped or changed without a word. Both are cheaper than a replacer callback per key.
 */
function toJson(streamId: string, index: number, field: string, type: string, value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : formatValue(cause);
    throw invalidEvent(streamId, index, field, `${type}: ${field} is not JSON: ${reason}`, cause);
  }
  const problem = findNonJson(value, field);
  if (problem !== undefined) {
    throw invalidEvent(streamId, index, field, `${type}: ${field} is not JSON: ${problem}`);
  }
  if (json === undefined) throw invalidEvent(streamId, index, field, `${type}: ${field} is not JSON`);
  return json;
}

/** The first value under `value` that JSON would drop or change, described with its path; else undefined. */
function findNonJson(value: unknown, path: string): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${value} at ${path} is not a JSON number`;
    case 'bigint':
      return `BigInt at ${path} is not JSON (convert it to a string or number)`;
    case 'function':
    case 'symbol':
    case 'undefined':
      return `${typeof value} at ${path} is not JSON`;
  }
  if (value === null || value instanceof Date) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = findNonJson(value[i], `${path}[${i}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (!isPlainObject(value)) {
    return `${(value as object).constructor?.name ?? 'object'} at ${path} is not a plain JSON object`;
  }
  for (const key in value) {
    const v = value[key];
    if (v === undefined) continue;
    const problem = findNonJson(v, `${path}.${key}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function invalidEvent(streamId: string, index: number, field: string, detail: string, cause?: unknown) {
  return new ValidationError(
    ErrorCodes.INVALID_EVENT,
    `events[${index}].${field}`,
    `Invalid event ${index} for stream ${streamId}: ${detail}`,
    cause === undefined ? {} : { cause },
  );
}
