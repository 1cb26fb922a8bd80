import type { SchemaNames } from '../../../stores/postgres/schema.js';
import type { Queryable } from './queryable.js';

/** Marks the given (claimed, confirmed) rows published. */
export async function markOutboxPublished(
  db: Queryable,
  names: SchemaNames,
  positions: readonly bigint[],
): Promise<void> {
  await db.query({
    text: `UPDATE ${names.outbox} SET published_at = now() WHERE position = ANY($1::bigint[])`,
    values: [positions.map(String)],
  });
}
