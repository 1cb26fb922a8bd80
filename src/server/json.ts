/** How the operator API writes Factum's values as JSON: positions and other bigints as strings, dates as ISO-8601. */
import type { StoredEvent } from '../core/envelope.js';

export interface EventJson {
  id: string;
  streamId: string;
  category: string;
  version: number;
  position: string;
  type: string;
  schemaVersion: number;
  timestamp: string;
  data: unknown;
  metadata: StoredEvent['metadata'];
}

export function eventJson(e: StoredEvent): EventJson {
  return {
    id: e.id,
    streamId: e.streamId,
    category: e.category,
    version: e.version,
    position: e.position.toString(),
    type: e.type,
    schemaVersion: e.schemaVersion,
    timestamp: e.timestamp.toISOString(),
    data: e.data,
    metadata: e.metadata,
  };
}

/** Any value with bigints as strings and dates as ISO strings (status records, saga instances…). */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    if (isStoredEvent(value)) return eventJson(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plain(v);
    return out;
  }
  return value;
}

function isStoredEvent(value: object): value is StoredEvent {
  const v = value as Partial<StoredEvent>;
  return typeof v.position === 'bigint' && typeof v.streamId === 'string' && v.timestamp instanceof Date;
}
