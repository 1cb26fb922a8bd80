/**
 * The CloudEvents envelope on SQS and SNS, in binary content mode: the data is the message body (JSON)
 * and the attributes are message attributes. SQS and SNS carry at most 10 message attributes, so the
 * CloudEvents core attributes travel one each (`ce-specversion`, `ce-id`, `ce-source`, `ce-type`,
 * `ce-subject`, `ce-time`), the content type as `content-type`, and every extension attribute (stream
 * version, position, schema version, category, correlation and causation ids, trace context, metadata)
 * as one JSON object in `ce-extensions`. That leaves room for Factum's dead-letter stamp.
 */
import type { StoredEvent } from '../../core/envelope.js';
import { ErrorCodes, InvalidMessageError, ValidationError } from '../../core/errors.js';
import { CONTENT_TYPE, decodeEvent, encodeEvent } from '../shared/cloudevents.js';

export const CE_PREFIX = 'ce-';
export const CONTENT_TYPE_ATTRIBUTE = 'content-type';
export const EXTENSIONS_ATTRIBUTE = 'ce-extensions';
/** The CloudEvents attributes that travel as message attributes of their own. */
const CORE = ['specversion', 'id', 'source', 'type', 'subject', 'time'] as const;

/** SQS's and SNS's message size limit: body, attribute names, data types and values together. */
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144;
/** Message attributes per message on SQS and SNS. */
export const MAX_ATTRIBUTES = 10;

/** A message attribute as both SDKs take and give it (only strings are used). */
export interface StringAttribute {
  DataType: 'String';
  StringValue: string;
}

export type Attributes = Record<string, StringAttribute>;

export interface SqsOutgoing {
  body: string;
  attributes: Attributes;
}

/** Characters SQS accepts in a body or attribute value: #x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD #x10000+. */
const CARRIABLE = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

const text = (value: string): StringAttribute => ({ DataType: 'String', StringValue: value });

/**
 * A stored event as an SQS/SNS message. Throws a ValidationError (FACTUM_INVALID_EVENT) before anything
 * is sent when the message would be larger than `maxBytes` or has a character SQS cannot carry.
 */
export function toSqsMessage(event: StoredEvent, source: string, maxBytes: number): SqsOutgoing {
  const { attributes: ce, body } = encodeEvent(event, source);
  const attributes: Attributes = { [CONTENT_TYPE_ATTRIBUTE]: text(CONTENT_TYPE) };
  const extensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(ce)) {
    if ((CORE as readonly string[]).includes(name)) {
      if (value.length > 0) attributes[`${CE_PREFIX}${name}`] = text(value);
    } else extensions[name] = value;
  }
  attributes[EXTENSIONS_ATTRIBUTE] = text(JSON.stringify(extensions));
  const out = { body: body.toString('utf8'), attributes };
  assertCarriable(event, out, maxBytes);
  return out;
}

/** The bytes SQS counts for a message: the body plus each attribute's name, data type and value. */
export function messageBytes(body: string, attributes: Attributes): number {
  let n = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    n +=
      Buffer.byteLength(name, 'utf8') + value.DataType.length + Buffer.byteLength(value.StringValue, 'utf8');
  }
  return n;
}

function assertCarriable(event: StoredEvent, message: SqsOutgoing, maxBytes: number): void {
  const where = `event ${event.id} (${event.type} in ${event.streamId})`;
  if (!CARRIABLE.test(message.body)) {
    throw new ValidationError(
      ErrorCodes.INVALID_EVENT,
      'data',
      `${where}: its data has a character SQS cannot carry (allowed: tab, line feed, carriage return, U+0020–U+D7FF, U+E000–U+FFFD, U+10000 and above)`,
    );
  }
  for (const [name, value] of Object.entries(message.attributes)) {
    if (!CARRIABLE.test(value.StringValue)) {
      throw new ValidationError(
        ErrorCodes.INVALID_EVENT,
        name === EXTENSIONS_ATTRIBUTE ? 'metadata' : name.slice(CE_PREFIX.length),
        `${where}: message attribute ${name} has a character SQS cannot carry`,
      );
    }
  }
  const bytes = messageBytes(message.body, message.attributes);
  if (bytes > maxBytes) {
    throw new ValidationError(
      ErrorCodes.INVALID_EVENT,
      'data',
      `${where} is ${bytes} bytes as an SQS message (body and attributes); SQS and SNS carry at most ${maxBytes}. Store large payloads elsewhere and send a reference`,
    );
  }
}

/** Message attributes as text, whatever their data type. */
export function attributesOf(
  received:
    | Record<string, { StringValue?: string | undefined; BinaryValue?: Uint8Array | undefined }>
    | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(received ?? {})) {
    if (value.StringValue !== undefined) out[name] = value.StringValue;
    else if (value.BinaryValue !== undefined) out[name] = Buffer.from(value.BinaryValue).toString('base64');
  }
  return out;
}

/** The CloudEvents attributes of a message: the core ones and the unpacked extensions. */
export function cloudEventAttributes(attributes: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith(CE_PREFIX) && name !== EXTENSIONS_ATTRIBUTE)
      out[name.slice(CE_PREFIX.length)] = value;
  }
  const packed = attributes[EXTENSIONS_ATTRIBUTE];
  if (packed !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(packed);
    } catch (cause) {
      throw new InvalidMessageError(`message attribute ${EXTENSIONS_ATTRIBUTE} is not JSON`, { cause });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidMessageError(`message attribute ${EXTENSIONS_ATTRIBUTE} is not a JSON object`);
    }
    for (const [name, value] of Object.entries(parsed)) {
      if (typeof value === 'string' && out[name] === undefined) out[name] = value;
    }
  }
  return out;
}

/** The stored event of a received message; InvalidMessageError when it is not a Factum envelope. */
export function fromSqsMessage(
  body: string | undefined,
  attributes: Readonly<Record<string, string>>,
): StoredEvent {
  const ce = cloudEventAttributes(attributes);
  if (Object.keys(ce).length === 0) {
    throw new InvalidMessageError('no CloudEvents attributes (ce-*) in the message attributes');
  }
  return decodeEvent(ce, Buffer.from(body ?? '', 'utf8'), attributes[CONTENT_TYPE_ATTRIBUTE]);
}
