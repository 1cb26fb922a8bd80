import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/**
 * Records (consumer, event id); false when it was already recorded. A concurrent insert of the same
 * pair waits for the other transaction, then counts as recorded if that one committed.
 */
export async function insertInbox(
  db: Queryable,
  names: MessagingNames,
  consumer: string,
  eventId: string,
): Promise<boolean> {
  const result = await db.query({
    text: `INSERT INTO ${names.inbox} (consumer, event_id) VALUES ($1, $2) ON CONFLICT (consumer, event_id) DO NOTHING`,
    values: [consumer, eventId],
  });
  return result.rowCount === 1;
}
