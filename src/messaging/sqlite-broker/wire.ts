/**
 * How the SQLite transport keeps an event: the envelope as one JSON text (position as a decimal
 * string, timestamp as ISO 8601), and a few headers as text beside it for dead-letter records.
 */
import type { StoredEvent } from '../../core/envelope.js';
import { ErrorCodes, InvalidMessageError, ValidationError } from '../../core/errors.js';
import { storedDataJson } from '../../core/stored-data.js';

export interface WireMessage {
  headers: Record<string, string>;
  body: string;
}

export function encode(event: StoredEvent): WireMessage {
  let body: string;
  // From the event-log relay: the data JSON as stored goes in as it is (see core/stored-data.ts).
  const dataJson = storedDataJson(event);
  try {
    body = JSON.stringify({
      id: event.id,
      type: event.type,
      streamId: event.streamId,
      category: event.category,
      version: event.version,
      position: event.position.toString(),
      schemaVersion: event.schemaVersion,
      timestamp: event.timestamp.toISOString(),
      metadata: event.metadata,
      // Left out (undefined) when the stored text is spliced in below.
      data: dataJson === undefined ? event.data : undefined,
    });
    if (dataJson !== undefined) body = `${body.slice(0, -1)},"data":${dataJson}}`;
  } catch (cause) {
    throw new ValidationError(
      ErrorCodes.INVALID_EVENT,
      'event',
      `event ${String(event?.id)} cannot be published: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'factum-id': event.id,
    'factum-type': event.type,
    'factum-stream-id': event.streamId,
  };
  const traceparent = event.metadata?.traceparent;
  if (typeof traceparent === 'string') headers.traceparent = traceparent;
  const tracestate = event.metadata?.tracestate;
  if (typeof tracestate === 'string') headers.tracestate = tracestate;
  return { headers, body };
}

/** The event in a stored body; InvalidMessageError when it is not a Factum envelope. */
export function decode(body: string): StoredEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new InvalidMessageError('the body is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidMessageError('the body is not a JSON object');
  }
  const o = raw as Record<string, unknown>;
  const text = (key: string): string => {
    const v = o[key];
    if (typeof v !== 'string' || v.length === 0) throw missing(key);
    return v;
  };
  const integer = (key: string): number => {
    const v = o[key];
    if (!Number.isSafeInteger(v)) throw missing(key);
    return v as number;
  };
  const position = text('position');
  if (!/^-?\d+$/.test(position)) throw missing('position');
  const timestamp = new Date(text('timestamp'));
  if (Number.isNaN(timestamp.getTime())) throw missing('timestamp');
  const metadata = o.metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw missing('metadata');
  if (!('data' in o)) throw missing('data');
  return {
    id: text('id'),
    type: text('type'),
    streamId: text('streamId'),
    category: text('category'),
    version: integer('version'),
    position: BigInt(position),
    schemaVersion: integer('schemaVersion'),
    timestamp,
    data: o.data,
    metadata: metadata as StoredEvent['metadata'],
  };
}

function missing(key: string): InvalidMessageError {
  return new InvalidMessageError(`not a Factum envelope: ${key} is missing or malformed`);
}
