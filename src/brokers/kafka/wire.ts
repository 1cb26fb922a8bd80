import type { StoredEvent } from '../../core/envelope.js';
import { InvalidMessageError } from '../../core/errors.js';
import { CONTENT_TYPE, decodeEvent, Extensions, headerNames, writeEvent } from '../shared/cloudevents.js';

/** The CloudEvents Kafka binding's header prefix: every attribute is a `ce_<name>` header, UTF-8. */
export const CE_PREFIX = 'ce_';
/** The binding maps `datacontenttype` to this header. */
export const CONTENT_TYPE_HEADER = 'content-type';

/** A record as Factum produces it: key = streamId (so a stream stays on one partition), JSON value. */
export interface KafkaRecordOut {
  key: Buffer;
  value: Buffer;
  headers: Map<Buffer, Buffer>;
}

const CONTENT_TYPE_NAME = Buffer.from(CONTENT_TYPE_HEADER);
const CONTENT_TYPE_VALUE = Buffer.from(CONTENT_TYPE);
const headerName = headerNames((attribute) => Buffer.from(`${CE_PREFIX}${attribute}`));

/** Attributes whose values repeat from record to record: their bytes are made once and shared. */
const REPEATING: ReadonlySet<string> = new Set([
  'specversion',
  'source',
  'type',
  Extensions.category,
  Extensions.schemaVersion,
]);
/** Bytes of repeating values (bounded: an application has few types, categories and sources). */
const repeated = new Map<string, Buffer>();
const MAX_REPEATED = 1024;

function repeatedBytes(value: string): Buffer {
  let bytes = repeated.get(value);
  if (bytes === undefined) {
    if (repeated.size >= MAX_REPEATED) repeated.clear();
    bytes = Buffer.from(value);
    repeated.set(value, bytes);
  }
  return bytes;
}

/** Scratch of toKafkaRecord (synchronous, so one set serves every call): each header, in order. */
const names: Buffer[] = [];
const values: (string | Buffer)[] = [];
let count = 0;
let room = 0;
const collect = (attribute: string, value: string): void => {
  names[count] = headerName(attribute);
  if (REPEATING.has(attribute)) values[count++] = repeatedBytes(value);
  else {
    values[count++] = value;
    room += value.length * 3;
  }
};

/**
 * A stored event as a Kafka record in CloudEvents binary content mode. The key and the header values
 * that change from event to event share one buffer per record; the others are shared between
 * records (this is the relay's hot path: one allocation instead of a dozen).
 */
export function toKafkaRecord(event: StoredEvent, source: string): KafkaRecordOut {
  count = 0;
  room = event.streamId.length * 3;
  const body = writeEvent(event, source, collect);
  const slab = Buffer.allocUnsafe(room);
  let used = 0;
  const headers = new Map<Buffer, Buffer>();
  headers.set(CONTENT_TYPE_NAME, CONTENT_TYPE_VALUE);
  for (let i = 0; i < count; i++) {
    const value = values[i]!;
    if (typeof value !== 'string') headers.set(names[i]!, value);
    else {
      const n = slab.write(value, used, 'utf8');
      headers.set(names[i]!, slab.subarray(used, used + n));
      used += n;
    }
  }
  const n = slab.write(event.streamId, used, 'utf8');
  return { key: slab.subarray(used, used + n), value: body, headers };
}

/** Header names and values of a received record as text (the last value wins for a repeated name). */
export function headerRecord(headers: ReadonlyMap<unknown, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const [key, value] of headers) {
    const name = text(key);
    if (name === undefined) continue;
    out[name] = text(value) ?? '';
  }
  return out;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return String(value);
}

/** The CloudEvents attributes found in a record's headers (names without the prefix, lower-cased). */
export function attributesOf(headers: Readonly<Record<string, string>>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    const lower = key.toLowerCase();
    if (lower.startsWith(CE_PREFIX)) attributes[lower.slice(CE_PREFIX.length)] = value;
  }
  return attributes;
}

/** The stored event in a received record; InvalidMessageError when it is not a Factum envelope. */
export function fromKafkaRecord(
  headers: Readonly<Record<string, string>>,
  value: Uint8Array | undefined,
): StoredEvent {
  const attributes = attributesOf(headers);
  if (Object.keys(attributes).length === 0) {
    throw new InvalidMessageError('no CloudEvents headers (ce_*) in the record');
  }
  let contentType: string | undefined;
  for (const [key, v] of Object.entries(headers))
    if (key.toLowerCase() === CONTENT_TYPE_HEADER) contentType = v;
  return decodeEvent(attributes, value ?? new Uint8Array(), contentType);
}
