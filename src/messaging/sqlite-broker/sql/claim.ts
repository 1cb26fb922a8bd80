import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** A delivery claimed by a consumer, with its message. */
export interface ClaimedRow {
  seq: bigint;
  deliveryCount: number;
  headers: string;
  body: string;
}

/**
 * A delivery is free when nobody holds it (or its holder's lease ran out) and it is the oldest of its
 * stream in the group: the next one of a stream waits until this one is acknowledged or dead-lettered.
 */
const FREE_HEADS = `SELECT d.seq AS seq, d.stream_id AS streamId FROM factum_broker_deliveries d
  WHERE d.namespace = @namespace AND d.grp = @group AND (d.lease_until IS NULL OR d.lease_until < @now)
    AND NOT EXISTS (SELECT 1 FROM factum_broker_deliveries e
                    WHERE e.namespace = d.namespace AND e.grp = d.grp AND e.stream_id = d.stream_id
                      AND e.seq < d.seq)
  ORDER BY d.seq LIMIT @limit`;

/** Whether the group has a delivery a consumer could claim now (a read: takes no write lock). */
export function hasFreeDelivery(
  db: Database.Database,
  namespace: string,
  group: string,
  now: number,
): boolean {
  return statement(db, FREE_HEADS).safeIntegers(true).get({ namespace, group, now, limit: 1 }) !== undefined;
}

/**
 * Claims up to `limit` deliveries of the group for `owner` until `leaseUntil`, inside the caller's
 * write transaction: the free head of each stream, then the deliveries right behind it in that
 * stream, oldest first overall. What one consumer holds of a stream is always the stream's oldest
 * deliveries, so the stream's order holds across competing consumers. Returns them in sequence order.
 */
export function claim(
  db: Database.Database,
  namespace: string,
  group: string,
  owner: string,
  limit: number,
  now: number,
  leaseUntil: number,
): ClaimedRow[] {
  const heads = statement<{ seq: bigint; streamId: string }>(db, FREE_HEADS)
    .safeIntegers(true)
    .all({ namespace, group, now, limit });
  if (heads.length === 0) return [];
  const behind = statement<{ seq: bigint; free: bigint }>(
    db,
    `SELECT seq, (lease_until IS NULL OR lease_until < @now) AS free FROM factum_broker_deliveries
     WHERE namespace = @namespace AND grp = @group AND stream_id = @streamId AND seq > @after
     ORDER BY seq LIMIT @limit`,
  ).safeIntegers(true);
  const chosen: bigint[] = [];
  for (const head of heads) {
    chosen.push(head.seq);
    if (limit === 1) continue;
    for (const row of behind.all({
      namespace,
      group,
      now,
      streamId: head.streamId,
      after: head.seq,
      limit: limit - 1,
    })) {
      if (row.free === 0n) break;
      chosen.push(row.seq);
    }
  }
  // Oldest first; a prefix of that order keeps a prefix of each stream.
  chosen.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const take = chosen.slice(0, limit);
  const mark = statement(
    db,
    `UPDATE factum_broker_deliveries SET owner = ?, lease_until = ?, delivery_count = delivery_count + 1
     WHERE namespace = ? AND grp = ? AND seq = ?`,
  );
  for (const seq of take) mark.run(owner, leaseUntil, namespace, group, seq);
  const read = statement<{ deliveryCount: bigint; headers: string; body: string }>(
    db,
    `SELECT d.delivery_count AS deliveryCount, m.headers AS headers, m.body AS body
     FROM factum_broker_deliveries d JOIN factum_broker_messages m ON m.seq = d.seq
     WHERE d.namespace = ? AND d.grp = ? AND d.seq = ?`,
  ).safeIntegers(true);
  return take.map((seq) => {
    const row = read.get(namespace, group, seq)!;
    return { seq, deliveryCount: Number(row.deliveryCount), headers: row.headers, body: row.body };
  });
}
