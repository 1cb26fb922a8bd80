import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/**
 * Gives a lease up if `owner` holds it. The row stays (expired now) so the fence keeps counting.
 */
export async function releaseLease(
  db: Queryable,
  names: MessagingNames,
  name: string,
  owner: string,
): Promise<void> {
  await db.query({
    text: `UPDATE ${names.leases} SET expires_at = now() WHERE name = $1 AND owner = $2`,
    values: [name, owner],
  });
}
