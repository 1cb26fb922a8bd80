import type { StoredEvent } from '../../core/envelope.js';
import { InvalidMessageError } from '../../core/errors.js';
import { CONTENT_TYPE, decodeEvent, encodeEvent } from '../shared/cloudevents.js';

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
/** Header names are a small fixed set (the CloudEvents attributes Factum writes): built once. */
const headerNames = new Map<string, Buffer>();

function headerName(attribute: string): Buffer {
  let name = headerNames.get(attribute);
  if (name === undefined) {
    name = Buffer.from(`${CE_PREFIX}${attribute}`);
    headerNames.set(attribute, name);
  }
  return name;
}

/**
 * A stored event as a Kafka record in CloudEvents binary content mode. The key and header values
 * share one buffer per record (this is the relay's hot path: one allocation instead of a dozen).
 */
export function toKafkaRecord(event: StoredEvent, source: string): KafkaRecordOut {
  const { attributes, body } = encodeEvent(event, source);
  const entries = Object.entries(attributes);
  let room = event.streamId.length * 3;
  for (const [, value] of entries) room += value.length * 3;
  const slab = Buffer.allocUnsafe(room);
  let used = 0;
  const put = (text: string): Buffer => {
    const n = slab.write(text, used, 'utf8');
    const out = slab.subarray(used, used + n);
    used += n;
    return out;
  };
  const headers = new Map<Buffer, Buffer>();
  headers.set(CONTENT_TYPE_NAME, CONTENT_TYPE_VALUE);
  for (const [name, value] of entries) headers.set(headerName(name), put(value));
  return { key: put(event.streamId), value: body, headers };
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
