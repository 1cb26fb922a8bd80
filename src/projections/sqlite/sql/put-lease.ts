import type Database from 'better-sqlite3';
import type { LeaseRecord } from '../../storage.js';
import { statement } from './statement.js';

export function putLease(db: Database.Database, l: LeaseRecord): void {
  statement(
    db,
    `INSERT INTO factum_projection_leases (name, owner, token, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, token = excluded.token,
       acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
  ).run(l.name, l.owner, l.token, l.acquiredAt, l.renewedAt, l.expiresAt);
}
