import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { LeaseRecord } from '../../storage.js';

interface LeaseRow {
  name: string;
  owner: string;
  token: number;
  acquired_at: number;
  renewed_at: number;
  expires_at: number;
}

/** A lease row of `factum_leases` (transactions of a follow storage are serialised: read-then-write is safe). */
export function getLease(db: Database.Database, name: string): LeaseRecord | undefined {
  const row = statement<LeaseRow>(
    db,
    'SELECT name, owner, token, acquired_at, renewed_at, expires_at FROM factum_leases WHERE name = ?',
  ).get(name);
  if (row === undefined) return undefined;
  return {
    name: row.name,
    owner: row.owner,
    token: row.token,
    acquiredAt: row.acquired_at,
    renewedAt: row.renewed_at,
    expiresAt: row.expires_at,
  };
}

export function putLease(db: Database.Database, l: LeaseRecord): void {
  statement(
    db,
    `INSERT INTO factum_leases (name, owner, token, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, token = excluded.token,
       acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
  ).run(l.name, l.owner, l.token, l.acquiredAt, l.renewedAt, l.expiresAt);
}
