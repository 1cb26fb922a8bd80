import type { StoredEvent } from '../../../core/envelope.js';
import { EVENT_COLUMNS, FACTUM_TYPES, toStoredEvent } from '../../../stores/postgres/kit.js';
import type { ProjectionTables, Queryable } from './tables.js';

/**
 * The log after `after`, as this transaction's statement sees it: every committed event, with no
 * horizon. Only gap-free while the appends that could commit behind the last event read are locked
 * out (an inline projection's swap holds the lock its appends take).
 */
export async function readCommittedLog(
  db: Queryable,
  t: ProjectionTables,
  after: bigint,
  limit: number,
): Promise<{ events: StoredEvent[]; last: bigint }> {
  const { rows } = await db.query<unknown[]>({
    text: `SELECT ${EVENT_COLUMNS} FROM ${t.schema.events} WHERE position > $1 ORDER BY position LIMIT $2`,
    values: [after.toString(), limit],
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  const events = rows.map((row) => toStoredEvent(row));
  return { events, last: events.at(-1)?.position ?? after };
}
