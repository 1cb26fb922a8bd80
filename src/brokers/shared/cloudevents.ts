/**
 * Factum's event envelope as CloudEvents 1.0 attributes, for each broker's binary content mode: the
 * data is the message body (JSON), every attribute is a header under the binding's prefix
 * (`cloudEvents_` for AMQP, `ce-` for NATS, `ce_` for Kafka). Services not written with Factum read
 * id, source, type, subject and time as usual; the Factum-specific fields travel as extensions.
 */
import type { EventMetadata, StoredEvent } from '../../core/envelope.js';
import { categoryOf } from '../../core/envelope.js';
import { InvalidMessageError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import { storedDataJson } from '../../core/stored-data.js';

export const CONTENT_TYPE = 'application/json';

/** Extension attribute names (CloudEvents: lower-case letters and digits, at most 20 characters). */
export const Extensions = {
  streamVersion: 'streamversion',
  position: 'position',
  schemaVersion: 'schemaversion',
  category: 'category',
  correlationId: 'correlationid',
  causationId: 'causationid',
  userId: 'userid',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** JSON of the metadata keys that have no attribute of their own. */
  metadata: 'metadata',
} as const;

const WELL_KNOWN: ReadonlyArray<[keyof EventMetadata & string, string]> = [
  ['correlationId', Extensions.correlationId],
  ['causationId', Extensions.causationId],
  ['userId', Extensions.userId],
  ['traceparent', Extensions.traceparent],
  ['tracestate', Extensions.tracestate],
];
const WELL_KNOWN_ATTRIBUTE: ReadonlyMap<string, string> = new Map(WELL_KNOWN);

export interface EncodedEvent {
  /** CloudEvents attribute name → value, without any binding prefix; datacontenttype excluded. */
  attributes: Record<string, string>;
  body: Buffer;
}

/** The CloudEvents attributes and JSON body of a stored event. `source` is a URI-reference naming the producer. */
export function encodeEvent(event: StoredEvent, source: string): EncodedEvent {
  const attributes: Record<string, string> = {};
  const body = writeEvent(event, source, (name, value) => {
    attributes[name] = value;
  });
  return { attributes, body };
}

/**
 * The bindings' hot path: hands each CloudEvents attribute of a stored event to `put` (name without
 * any binding prefix, datacontenttype excluded; in encodeEvent's order) and returns the JSON body,
 * without building the attribute record. The body is the data JSON the store holds when the event
 * was read with it (the relay's reads: `storedDataJson`), else `JSON.stringify(event.data)`.
 */
export function writeEvent(
  event: StoredEvent,
  source: string,
  put: (name: string, value: string) => void,
): Buffer {
  put('specversion', '1.0');
  put('id', event.id);
  put('source', source);
  put('type', event.type);
  put('subject', event.streamId);
  put('time', isoTime(event.timestamp));
  put(Extensions.streamVersion, String(event.version));
  put(Extensions.position, event.position.toString());
  put(Extensions.schemaVersion, String(event.schemaVersion));
  put(Extensions.category, event.category);
  const metadata = event.metadata as Record<string, unknown>;
  let rest: Record<string, unknown> | undefined;
  for (const key of Object.keys(metadata)) {
    const value = metadata[key];
    const attribute = WELL_KNOWN_ATTRIBUTE.get(key);
    if (attribute !== undefined && typeof value === 'string') put(attribute, value);
    else if (value !== undefined) {
      rest ??= {};
      rest[key] = value;
    }
  }
  if (rest !== undefined) put(Extensions.metadata, JSON.stringify(rest));
  return Buffer.from(storedDataJson(event) ?? JSON.stringify(event.data));
}

/** The last time written: the events of one append share their timestamp, so it repeats. */
let lastTime = Number.NaN;
let lastIso = '';

function isoTime(timestamp: Date): string {
  const time = timestamp.getTime();
  if (time !== lastTime) {
    lastIso = timestamp.toISOString();
    lastTime = time;
  }
  return lastIso;
}

/** A binding's header name for each attribute, made once per attribute (a small fixed set). */
export function headerNames<T>(make: (attribute: string) => T): (attribute: string) => T {
  const made = new Map<string, T>();
  return (attribute) => {
    let name = made.get(attribute);
    if (name === undefined) {
      name = make(attribute);
      made.set(attribute, name);
    }
    return name;
  };
}

/**
 * The stored event back from its attributes and body. Throws InvalidMessageError, naming what is wrong,
 * when the message is not a Factum envelope.
 */
export function decodeEvent(
  attributes: Readonly<Record<string, string | undefined>>,
  body: Uint8Array,
  contentType: string | undefined,
): StoredEvent {
  const get = (name: string): string => {
    const value = attributes[name];
    if (value === undefined || value.length === 0)
      throw new InvalidMessageError(`attribute ${name} is missing`);
    return value;
  };
  const specversion = get('specversion');
  if (specversion !== '1.0') throw new InvalidMessageError(`specversion ${specversion} is not 1.0`);
  const id = get('id');
  if (!isUuid(id)) throw new InvalidMessageError(`id ${id} is not a UUID`);
  const type = get('type');
  const streamId = get('subject');
  const version = positiveInt(get(Extensions.streamVersion), Extensions.streamVersion);
  const positionText = get(Extensions.position);
  if (!/^\d{1,20}$/.test(positionText)) {
    throw new InvalidMessageError(`position ${positionText} is not an unsigned integer`);
  }
  const schemaVersion = positiveInt(attributes[Extensions.schemaVersion] ?? '1', Extensions.schemaVersion);
  const time = get('time');
  const timestamp = new Date(time);
  if (Number.isNaN(timestamp.getTime())) throw new InvalidMessageError(`time ${time} is not a timestamp`);
  if (contentType !== undefined && !contentType.toLowerCase().startsWith(CONTENT_TYPE)) {
    throw new InvalidMessageError(`content type ${contentType} is not ${CONTENT_TYPE}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (cause) {
    throw new InvalidMessageError(`the body of event ${id} is not JSON`, { cause });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidMessageError(`the body of event ${id} is not a JSON object`);
  }
  const metadata: EventMetadata = {};
  const extra = attributes[Extensions.metadata];
  if (extra !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(extra);
    } catch (cause) {
      throw new InvalidMessageError(`the metadata attribute of event ${id} is not JSON`, { cause });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidMessageError(`the metadata attribute of event ${id} is not a JSON object`);
    }
    Object.assign(metadata, parsed);
  }
  for (const [key, attribute] of WELL_KNOWN) {
    const value = attributes[attribute];
    if (value !== undefined) metadata[key] = value;
  }
  return {
    id,
    type,
    streamId,
    category: attributes[Extensions.category] ?? categoryOf(streamId),
    version,
    position: BigInt(positionText),
    schemaVersion,
    timestamp,
    data,
    metadata,
  };
}

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidMessageError(`${name} ${text} is not a positive integer`);
  }
  return n;
}

/** Printable ASCII other than '"' and '%': what percentEncode leaves as it is. */
const NEEDS_NO_ENCODING = /^[!#$&-~]*$/;

/** Percent-encodes a header value the way the CloudEvents HTTP (and NATS) binding prescribes. */
export function percentEncode(value: string): string {
  if (NEEDS_NO_ENCODING.test(value)) return value;
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code > 0x20 && code < 0x7f && ch !== '"' && ch !== '%') out += ch;
    else
      for (const byte of Buffer.from(ch, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function percentDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch (cause) {
    throw new InvalidMessageError(`header value ${value} is not valid percent-encoding`, { cause });
  }
}
