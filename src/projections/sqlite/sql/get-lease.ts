import type Database from 'better-sqlite3';
import type { LeaseRecord } from '../../storage.js';
import { statement } from './statement.js';

export function getLease(db: Database.Database, name: string): LeaseRecord | undefined {
  const row = statement<{
    name: string;
    owner: string;
    token: number;
    acquired_at: number;
    renewed_at: number;
    expires_at: number;
  }>(
    db,
    'SELECT name, owner, token, acquired_at, renewed_at, expires_at FROM factum_projection_leases WHERE name = ?',
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
