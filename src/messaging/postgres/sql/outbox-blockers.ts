import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/**
 * For each of `streamIds`, the lowest unpublished position outside `own` (rows claimed by another
 * relay, or skipped by this one): rows of the stream after it must wait, or the stream's order breaks.
 */
export async function outboxBlockers(
  db: Queryable,
  names: MessagingNames,
  streamIds: readonly string[],
  own: readonly bigint[],
): Promise<Map<string, bigint>> {
  const { rows } = await db.query<{ stream_id: string; position: string }>({
    text: `SELECT stream_id, min(position)::text AS position FROM ${names.outbox}
WHERE stream_id = ANY($1::text[]) AND published_at IS NULL AND position <> ALL($2::bigint[])
GROUP BY stream_id`,
    values: [streamIds, own.map(String)],
  });
  return new Map(rows.map((r) => [r.stream_id, BigInt(r.position)]));
}
