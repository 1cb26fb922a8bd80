import type { StoredEvent } from '../../core/envelope.js';
import type { AppendResult } from '../../core/store.js';
import type { PreparedAppend } from '../../core/validation.js';

/** The stored events of an append that just inserted them: positions and versions are consecutive. */
export function storedEvents(
  append: PreparedAppend,
  result: AppendResult,
  recordedAt: number,
): StoredEvent[] {
  const count = append.events.length;
  const firstPosition = result.position - BigInt(count - 1);
  const firstVersion = result.nextExpectedVersion - count + 1;
  return append.events.map((e, i) => ({
    id: e.id,
    type: e.type,
    streamId: append.streamId,
    category: append.category,
    version: firstVersion + i,
    position: firstPosition + BigInt(i),
    schemaVersion: e.schemaVersion,
    timestamp: new Date(recordedAt),
    data: JSON.parse(e.data) as unknown,
    metadata: JSON.parse(e.metadata) as StoredEvent['metadata'],
  }));
}
