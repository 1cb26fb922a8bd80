import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

export interface OutboxPruneStep {
  deleted: number;
  /** The window's last position; undefined when the walk is over. */
  next: bigint | undefined;
}

/**
 * One batch, one statement (so one short transaction, on any pooled connection): takes the next
 * `limit` rows after `after` by position (the primary key) and deletes those of them published before
 * `cutoff`, except each stream's newest row (it carries the stream's version, which the next message
 * of the stream continues from). Unpublished rows, claimed by a relay or not, are never touched: the
 * condition on published_at is false for them, so the statement does not even wait for their locks.
 * The walk ends after a short window or one that reaches rows recorded after the cutoff.
 */
export async function pruneOutboxStep(
  db: Queryable,
  names: MessagingNames,
  after: bigint,
  limit: number,
  cutoff: Date,
): Promise<OutboxPruneStep> {
  const { rows } = await db.query<{
    deleted: number;
    examined: number;
    last: string | null;
    reached: boolean | null;
  }>({
    text: `WITH win AS (
  SELECT position, recorded_at FROM ${names.outbox} WHERE position > $1::bigint ORDER BY position LIMIT $2
), gone AS (
  DELETE FROM ${names.outbox} AS o USING win
  WHERE o.position = win.position
    AND o.published_at IS NOT NULL AND o.published_at < $3
    AND EXISTS (SELECT 1 FROM ${names.outbox} AS later
                WHERE later.stream_id = o.stream_id AND later.version > o.version)
  RETURNING 1
)
SELECT (SELECT count(*) FROM gone)::int AS deleted,
       count(*)::int AS examined,
       max(position)::text AS last,
       bool_or(recorded_at >= $3) AS reached
FROM win`,
    values: [after.toString(), limit, cutoff],
  });
  const row = rows[0]!;
  const full = row.examined === limit && row.reached !== true && row.last !== null;
  return { deleted: row.deleted, next: full ? BigInt(row.last!) : undefined };
}
