import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/**
 * Takes a lease that is free, expired or already ours until `ttlMs` from now on the database clock;
 * a change of owner increments the fence. Returns the fence, or undefined while someone else holds it.
 */
export async function acquireLease(
  db: Queryable,
  names: MessagingNames,
  name: string,
  owner: string,
  ttlMs: number,
): Promise<bigint | undefined> {
  const { rows } = await db.query<{ fence: string }>({
    text: `INSERT INTO ${names.leases} AS held (name, owner, expires_at, fence)
VALUES ($1, $2, now() + $3::double precision * interval '1 millisecond', 1)
ON CONFLICT (name) DO UPDATE SET
  owner = excluded.owner,
  expires_at = excluded.expires_at,
  fence = held.fence + CASE WHEN held.owner = excluded.owner THEN 0 ELSE 1 END
WHERE held.owner = excluded.owner OR held.expires_at <= now()
RETURNING fence::text AS fence`,
    values: [name, owner, ttlMs],
  });
  return rows[0] === undefined ? undefined : BigInt(rows[0].fence);
}
