import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/**
 * One batch of retention, inside the caller's write transaction: of the `batchSize` messages after
 * `after` (every namespace of the file), deletes those no group still has to handle (all acknowledged
 * or dead-lettered: dead letters keep their own copy). Returns how many went and where the next batch
 * starts (undefined: this was the last).
 */
export function pruneMessages(
  db: Database.Database,
  after: bigint,
  batchSize: number,
): { deleted: number; next: bigint | undefined } {
  const window = statement<{ last: bigint | null; n: bigint }>(
    db,
    `SELECT MAX(seq) AS last, COUNT(*) AS n FROM
       (SELECT seq FROM factum_broker_messages WHERE seq > ? ORDER BY seq LIMIT ?)`,
  )
    .safeIntegers(true)
    .get(after, batchSize);
  if (window === undefined || window.last === null) return { deleted: 0, next: undefined };
  const deleted = statement(
    db,
    `DELETE FROM factum_broker_messages WHERE seq > ? AND seq <= ?
       AND NOT EXISTS (SELECT 1 FROM factum_broker_deliveries d WHERE d.seq = factum_broker_messages.seq)`,
  ).run(after, window.last).changes;
  return { deleted, next: Number(window.n) === batchSize ? window.last : undefined };
}
