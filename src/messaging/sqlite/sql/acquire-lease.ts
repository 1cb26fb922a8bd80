import type Database from 'better-sqlite3';

export interface AcquireLeaseParams {
  name: string;
  owner: string;
  expiresAt: number;
  now: number;
}

/** Takes a lease that is free, expired or already ours, until expiresAt; changes = 0 when someone else holds it. */
export function prepareAcquireLease(db: Database.Database): Database.Statement<[AcquireLeaseParams]> {
  return db.prepare<[AcquireLeaseParams]>(
    `INSERT INTO factum_leases (name, owner, expires_at) VALUES (@name, @owner, @expiresAt)
     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
     WHERE factum_leases.owner = excluded.owner OR factum_leases.expires_at <= @now`,
  );
}
