import type { LeaseRecord } from '../../storage.js';
import type { Queryable } from './queryable.js';

/** A lease row of `<schema>.factum_leases`; times are ms since the epoch by the database clock. */
export async function getLease(db: Queryable, table: string, name: string): Promise<LeaseRecord | undefined> {
  const { rows } = await db.query<{
    name: string;
    owner: string;
    token: string;
    acquired_at: string;
    renewed_at: string;
    expires_at: string;
  }>(`SELECT name, owner, token, acquired_at, renewed_at, expires_at FROM ${table} WHERE name = $1`, [name]);
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

export async function putLease(db: Queryable, table: string, l: LeaseRecord): Promise<void> {
  await db.query(
    `INSERT INTO ${table} (name, owner, token, acquired_at, renewed_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, token = excluded.token,
       acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
    [l.name, l.owner, l.token, l.acquiredAt, l.renewedAt, l.expiresAt],
  );
}
