import type { MsgHdrs } from '@nats-io/transport-node';
import type { StoredEvent } from '../../core/envelope.js';
import { InvalidMessageError } from '../../core/errors.js';
import {
  CONTENT_TYPE,
  decodeEvent,
  encodeEvent,
  percentDecode,
  percentEncode,
} from '../shared/cloudevents.js';

/** CloudEvents attributes travel as NATS headers named `ce-<attribute>`, values percent-encoded. */
export const CE_PREFIX = 'ce-';

/** Header name → value pairs for a stored event in CloudEvents binary content mode, and its body. */
export function toNatsHeaders(
  event: StoredEvent,
  source: string,
): { headers: [string, string][]; body: Buffer } {
  const { attributes, body } = encodeEvent(event, source);
  const headers: [string, string][] = [['content-type', CONTENT_TYPE]];
  for (const [name, value] of Object.entries(attributes))
    headers.push([`${CE_PREFIX}${name}`, percentEncode(value)]);
  return { headers, body };
}

/** All headers of a message as a plain record (first value of each). */
export function headerRecord(headers: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const [key, values] of headers) {
    const first = values[0];
    if (first !== undefined) out[key] = first;
  }
  return out;
}

/** The stored event in a received message; InvalidMessageError when it is not a Factum envelope. */
export function fromNatsMessage(headers: MsgHdrs | undefined, body: Uint8Array): StoredEvent {
  const record = headerRecord(headers);
  const attributes: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [key, value] of Object.entries(record)) {
    const lower = key.toLowerCase();
    if (lower.startsWith(CE_PREFIX)) attributes[lower.slice(CE_PREFIX.length)] = percentDecode(value);
    else if (lower === 'content-type') contentType = value;
  }
  if (Object.keys(attributes).length === 0) {
    throw new InvalidMessageError('no CloudEvents headers (ce-*) in the message');
  }
  return decodeEvent(attributes, body, contentType);
}
