import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';
import type { DeadLetterOutcome } from '../../delivery.js';

/** Acknowledges a delivery the owner still holds (a lost lease acknowledges nothing). */
export function ack(
  db: Database.Database,
  namespace: string,
  group: string,
  seq: bigint,
  owner: string,
): boolean {
  return (
    statement(
      db,
      'DELETE FROM factum_broker_deliveries WHERE namespace = ? AND grp = ? AND seq = ? AND owner = ?',
    ).run(namespace, group, seq, owner).changes > 0
  );
}

/** The longest error text a dead letter keeps. */
const MAX_ERROR_LENGTH = 8000;

/** Moves a delivery the owner holds to the group's dead letters, with the message as it was. */
export function deadLetter(
  db: Database.Database,
  namespace: string,
  group: string,
  seq: bigint,
  owner: string,
  outcome: DeadLetterOutcome,
  now: number,
): boolean {
  const moved = statement(
    db,
    `INSERT INTO factum_broker_dead_letters
       (namespace, grp, seq, message_id, stream_id, reason, error, attempts, headers, body, dead_lettered_at)
     SELECT d.namespace, d.grp, d.seq, m.message_id, m.stream_id, ?, ?, ?, m.headers, m.body, ?
     FROM factum_broker_deliveries d JOIN factum_broker_messages m ON m.seq = d.seq
     WHERE d.namespace = ? AND d.grp = ? AND d.seq = ? AND d.owner = ?`,
  ).run(
    outcome.reason,
    outcome.error.slice(0, MAX_ERROR_LENGTH),
    outcome.attempts,
    now,
    namespace,
    group,
    seq,
    owner,
  );
  if (moved.changes === 0) return false;
  ack(db, namespace, group, seq, owner);
  return true;
}

/** Extends the lease of everything `owner` holds. */
export function renew(db: Database.Database, owner: string, leaseUntil: number): void {
  statement(db, 'UPDATE factum_broker_deliveries SET lease_until = ? WHERE owner = ?').run(leaseUntil, owner);
}

/**
 * Gives back what `owner` holds. Deliveries its handler never saw do not count as delivered
 * (`unseen`); the others keep their count.
 */
export function release(
  db: Database.Database,
  owner: string,
  namespace: string,
  group: string,
  unseen: readonly bigint[],
): void {
  const uncount = statement(
    db,
    `UPDATE factum_broker_deliveries SET delivery_count = MAX(0, delivery_count - 1)
     WHERE namespace = ? AND grp = ? AND seq = ? AND owner = ?`,
  );
  for (const seq of unseen) uncount.run(namespace, group, seq, owner);
  statement(db, 'UPDATE factum_broker_deliveries SET owner = NULL, lease_until = NULL WHERE owner = ?').run(
    owner,
  );
}
