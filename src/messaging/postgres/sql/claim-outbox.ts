import type { ClientBase } from 'pg';
import type { StoredEvent } from '../../../core/envelope.js';
import { EVENT_COLUMNS, FACTUM_TYPES, toStoredEvent } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/**
 * Locks the oldest unpublished rows no other transaction holds, at most `limit`, in position order.
 * Runs inside the claiming transaction; the locks last until it ends.
 */
export async function claimOutbox(
  db: ClientBase,
  names: MessagingNames,
  limit: number,
): Promise<StoredEvent[]> {
  const { rows } = await db.query<unknown[]>({
    text: `SELECT ${EVENT_COLUMNS} FROM ${names.outbox}
WHERE published_at IS NULL ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED`,
    values: [limit],
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  return rows.map((row) => toStoredEvent(row));
}
