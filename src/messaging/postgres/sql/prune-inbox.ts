import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/** Where an inbox walk stands: after this key (primary-key order), or at the start. */
export type InboxCursor = { consumer: string; eventId: string } | 'start';

export interface InboxPruneStep {
  deleted: number;
  next: InboxCursor | undefined;
}

/**
 * One batch, one statement (so one short transaction, on any pooled connection): takes the next
 * `limit` inbox records after the cursor in primary-key order — of one consumer, or of all — and
 * deletes those processed before `cutoff`. The walk ends after a window shorter than `limit`.
 */
export async function pruneInboxStep(
  db: Queryable,
  names: MessagingNames,
  consumer: string | undefined,
  cursor: InboxCursor,
  limit: number,
  cutoff: Date,
): Promise<InboxPruneStep> {
  const values: unknown[] = [limit, cutoff];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where: string[] = [];
  if (consumer !== undefined) where.push(`consumer = ${param(consumer)}`);
  if (cursor !== 'start') {
    where.push(
      consumer !== undefined
        ? `event_id > ${param(cursor.eventId)}`
        : `(consumer, event_id) > (${param(cursor.consumer)}, ${param(cursor.eventId)})`,
    );
  }
  const { rows } = await db.query<{
    deleted: number;
    examined: number;
    consumer: string | null;
    event_id: string | null;
  }>({
    text: `WITH win AS (
  SELECT consumer, event_id FROM ${names.inbox}
  ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
  ORDER BY consumer, event_id LIMIT $1
), gone AS (
  DELETE FROM ${names.inbox} AS i USING win
  WHERE i.consumer = win.consumer AND i.event_id = win.event_id AND i.processed_at < $2
  RETURNING 1
), last AS (
  SELECT consumer, event_id FROM win ORDER BY consumer DESC, event_id DESC LIMIT 1
)
SELECT (SELECT count(*) FROM gone)::int AS deleted, (SELECT count(*) FROM win)::int AS examined,
       last.consumer, last.event_id
FROM (SELECT 1) AS one LEFT JOIN last ON true`,
    values,
  });
  const row = rows[0]!;
  const full = row.examined === limit && row.consumer !== null && row.event_id !== null;
  return {
    deleted: row.deleted,
    next: full ? { consumer: row.consumer!, eventId: row.event_id! } : undefined,
  };
}
