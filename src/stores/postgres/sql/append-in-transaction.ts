import type { PoolClient } from 'pg';
import type { StoredEvent } from '../../../core/envelope.js';
import type { PreparedAppend } from '../../../core/validation.js';
import type { SchemaNames } from '../schema.js';
import { type AppendOutcome, anyCheckedIds, appendBatchValues, readOutcomes } from './append.js';
import { FACTUM_TYPES, toStoredEvent } from './event-row.js';

/** What the batch statement did in a transaction: each append's outcome, and the events written. */
export interface AppendedInTransaction {
  /** Per append, in the appends' order. */
  outcomes: (AppendOutcome | undefined)[];
  /** The stored events of each append written, in the appends' order (refused appends left out). */
  events: StoredEvent[][];
}

/**
 * Several appends to distinct streams in one statement of the client's open transaction (the batch
 * statement, returning the stored events).
 */
export async function appendBatchInTransaction(
  client: PoolClient,
  names: SchemaNames,
  sql: { plain: string; checked: string },
  appends: readonly PreparedAppend[],
): Promise<AppendedInTransaction> {
  const checked = anyCheckedIds(appends);
  const result = await client.query<unknown[]>({
    name: `${names.statementPrefix}append_batch_events${checked ? '_checked' : ''}`,
    text: checked ? sql.checked : sql.plain,
    values: appendBatchValues(appends),
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  const byAppend = new Map<number, StoredEvent[]>();
  for (const row of result.rows) {
    if (row[0] !== 'w') continue;
    const a = row[1] as number;
    let events = byAppend.get(a);
    if (events === undefined) {
      events = [];
      byAppend.set(a, events);
    }
    // The rows come in position order, so each append's events in version order.
    events.push(toStoredEvent(row, 2));
  }
  const events: StoredEvent[][] = [];
  for (let a = 1; a <= appends.length; a++) {
    const written = byAppend.get(a);
    if (written !== undefined) events.push(written);
  }
  return { outcomes: readOutcomes(result.rows, appends.length), events };
}
