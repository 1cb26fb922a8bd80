import type { LeaseRecord } from '../../storage.js';
import type { ProjectionTables, Queryable } from './tables.js';

export async function putLease(db: Queryable, t: ProjectionTables, l: LeaseRecord): Promise<void> {
  await db.query(
    `INSERT INTO ${t.leases} (name, owner, token, acquired_at, renewed_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, token = excluded.token,
       acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
    [l.name, l.owner, l.token, l.acquiredAt, l.renewedAt, l.expiresAt],
  );
}
