import type { MsgHdrs } from '@nats-io/transport-node';
import type { StoredEvent } from '../../core/envelope.js';
import { InvalidMessageError } from '../../core/errors.js';
import {
  CONTENT_TYPE,
  decodeEvent,
  headerNames,
  percentDecode,
  percentEncode,
  writeEvent,
} from '../shared/cloudevents.js';

/** CloudEvents attributes travel as NATS headers named `ce-<attribute>`, values percent-encoded. */
export const CE_PREFIX = 'ce-';

const headerName = headerNames((attribute) => `${CE_PREFIX}${attribute}`);

/** Header name → value pairs for a stored event in CloudEvents binary content mode, and its body. */
export function toNatsHeaders(
  event: StoredEvent,
  source: string,
): { headers: [string, string][]; body: Buffer } {
  const headers: [string, string][] = [];
  const body = writeNatsHeaders(event, source, (name, value) => {
    headers.push([name, value]);
  });
  return { headers, body };
}

/** Hands each header of a stored event to `set` (as toNatsHeaders lists them) and returns its body. */
export function writeNatsHeaders(
  event: StoredEvent,
  source: string,
  set: (name: string, value: string) => void,
): Buffer {
  set('content-type', CONTENT_TYPE);
  return writeEvent(event, source, (name, value) => set(headerName(name), percentEncode(value)));
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
