import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

export interface LeaseRow {
  owner: string;
  fence: bigint;
  expiresAt: Date;
  /** Whether it has not expired (on the database clock). */
  held: boolean;
}

/** The lease row of `name`, if any. */
export async function readLease(
  db: Queryable,
  names: MessagingNames,
  name: string,
): Promise<LeaseRow | undefined> {
  const { rows } = await db.query<{ owner: string; fence: string; expires_at: Date; held: boolean }>({
    text: `SELECT owner, fence::text AS fence, expires_at, expires_at > now() AS held FROM ${names.leases} WHERE name = $1`,
    values: [name],
  });
  const row = rows[0];
  return row === undefined
    ? undefined
    : { owner: row.owner, fence: BigInt(row.fence), expiresAt: row.expires_at, held: row.held };
}
