import type { SchemaNames } from '../../../stores/postgres/schema.js';
import type { Queryable } from './queryable.js';

/**
 * Gives a lease up if `owner` holds it. The row stays (expired now) so the fence keeps counting.
 */
export async function releaseLease(
  db: Queryable,
  names: SchemaNames,
  name: string,
  owner: string,
): Promise<void> {
  await db.query({
    text: `UPDATE ${names.leases} SET expires_at = now() WHERE name = $1 AND owner = $2`,
    values: [name, owner],
  });
}
