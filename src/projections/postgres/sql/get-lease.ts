import type { LeaseRecord } from '../../storage.js';
import type { ProjectionTables, Queryable } from './tables.js';

/** A lease row (transactions of a storage are serialised, so read-then-write is safe). */
export async function getLease(
  db: Queryable,
  t: ProjectionTables,
  name: string,
): Promise<LeaseRecord | undefined> {
  const { rows } = await db.query<{
    name: string;
    owner: string;
    token: string;
    acquired_at: string;
    renewed_at: string;
    expires_at: string;
  }>(`SELECT name, owner, token, acquired_at, renewed_at, expires_at FROM ${t.leases} WHERE name = $1`, [
    name,
  ]);
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    name: row.name,
    owner: row.owner,
    token: Number(row.token),
    acquiredAt: Number(row.acquired_at),
    renewedAt: Number(row.renewed_at),
    expiresAt: Number(row.expires_at),
  };
}
