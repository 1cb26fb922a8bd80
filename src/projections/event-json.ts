import type { StoredEvent } from '../core/envelope.js';

/** The event as stored in a dead letter: JSON with the position as a string and the timestamp in ms. */
export function eventToJson(e: StoredEvent): string {
  return JSON.stringify({
    id: e.id,
    type: e.type,
    streamId: e.streamId,
    category: e.category,
    version: e.version,
    position: e.position.toString(),
    schemaVersion: e.schemaVersion,
    timestamp: e.timestamp.getTime(),
    data: e.data,
    metadata: e.metadata,
  });
}

export function eventFromJson(json: string): StoredEvent {
  const o = JSON.parse(json) as Record<string, unknown>;
  return {
    id: o.id as string,
    type: o.type as string,
    streamId: o.streamId as string,
    category: o.category as string,
    version: o.version as number,
    position: BigInt(o.position as string),
    schemaVersion: o.schemaVersion as number,
    timestamp: new Date(o.timestamp as number),
    data: o.data,
    metadata: o.metadata as StoredEvent['metadata'],
  };
}
