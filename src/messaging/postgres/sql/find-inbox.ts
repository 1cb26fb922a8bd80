import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/** Whether (consumer, event id) is recorded. */
export async function findInbox(
  db: Queryable,
  names: MessagingNames,
  consumer: string,
  eventId: string,
): Promise<boolean> {
  const { rows } = await db.query({
    text: `SELECT 1 FROM ${names.inbox} WHERE consumer = $1 AND event_id = $2`,
    values: [consumer, eventId],
  });
  return rows.length > 0;
}
