import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** Deliveries of the group not yet acknowledged (held or waiting). */
export function countPending(db: Database.Database, namespace: string, group: string): number {
  const row = statement<{ n: number }>(
    db,
    'SELECT COUNT(*) AS n FROM factum_broker_deliveries WHERE namespace = ? AND grp = ?',
  ).get(namespace, group);
  return Number(row?.n ?? 0);
}

export interface DeadLetterRow {
  reason: string;
  error: string;
  attempts: number;
  headers: string;
  body: string;
  deadLetteredAt: number;
}

/** The group's dead letters, oldest first. */
export function selectDeadLetters(
  db: Database.Database,
  namespace: string,
  group: string,
  limit: number,
): DeadLetterRow[] {
  return statement<DeadLetterRow>(
    db,
    `SELECT reason, error, attempts, headers, body, dead_lettered_at AS deadLetteredAt
     FROM factum_broker_dead_letters WHERE namespace = ? AND grp = ? ORDER BY id LIMIT ?`,
  ).all(namespace, group, limit);
}
