import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/** Marks the given (claimed, confirmed) rows published. */
export async function markOutboxPublished(
  db: Queryable,
  names: MessagingNames,
  positions: readonly bigint[],
): Promise<void> {
  await db.query({
    text: `UPDATE ${names.outbox} SET published_at = now() WHERE position = ANY($1::bigint[])`,
    values: [positions.map(String)],
  });
}
