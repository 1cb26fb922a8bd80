import type { PoolClient } from 'pg';
import type { StoredEvent } from '../../../core/envelope.js';
import type { PreparedAppend } from '../../../core/validation.js';
import type { SchemaNames } from '../schema.js';
import { appendBatchValues } from './append.js';
import { FACTUM_TYPES, toStoredEvent } from './event-row.js';

/**
 * Several appends to distinct streams in one statement of the client's open transaction (the batch
 * statement, returning the stored events): the events of each append written, in the appends' order;
 * an append whose expected version did not match is left out.
 */
export async function appendBatchInTransaction(
  client: PoolClient,
  names: SchemaNames,
  sql: string,
  appends: readonly PreparedAppend[],
): Promise<StoredEvent[][]> {
  const result = await client.query<unknown[]>({
    name: `${names.statementPrefix}append_batch_events`,
    text: sql,
    values: appendBatchValues(appends),
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  const byStream = new Map<string, StoredEvent[]>();
  for (const row of result.rows) {
    const event = toStoredEvent(row);
    let events = byStream.get(event.streamId);
    if (events === undefined) {
      events = [];
      byStream.set(event.streamId, events);
    }
    events.push(event);
  }
  return appends.flatMap((a) => {
    const events = byStream.get(a.streamId);
    return events === undefined ? [] : [events];
  });
}
