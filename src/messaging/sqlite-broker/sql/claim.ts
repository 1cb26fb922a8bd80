import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/** A delivery claimed by a consumer, with its message. */
export interface ClaimedRow {
  seq: bigint;
  deliveryCount: number;
  headers: string;
  body: string;
}

/** Free deliveries looked at per claim at most (those behind streams other consumers hold are skipped). */
const MAX_SCANNED = 5_000;

/**
 * Whether the group has a delivery a consumer could claim now (a read: takes no write lock): one
 * nobody holds (or whose holder's lease ran out) that is the oldest of its stream in the group,
 * among the oldest MAX_SCANNED free ones.
 */
export function hasFreeDelivery(
  db: Database.Database,
  namespace: string,
  group: string,
  now: number,
): boolean {
  const found = statement(
    db,
    `SELECT 1 FROM (SELECT seq, stream_id FROM factum_broker_deliveries
                    WHERE namespace = @namespace AND grp = @group AND (lease_until IS NULL OR lease_until < @now)
                    ORDER BY seq LIMIT ${MAX_SCANNED}) d
     WHERE NOT EXISTS (SELECT 1 FROM factum_broker_deliveries e
                       WHERE e.namespace = @namespace AND e.grp = @group AND e.stream_id = d.stream_id
                         AND e.seq < d.seq)
     LIMIT 1`,
  ).get({ namespace, group, now });
  return found !== undefined;
}

/**
 * Claims up to `limit` deliveries of the group for `owner` until `leaseUntil`, inside the caller's
 * write transaction. It walks the free deliveries oldest first and takes one when it is its stream's
 * oldest in the group, or follows one it just took of that stream; a stream whose oldest delivery
 * someone else holds is skipped. So what one consumer holds of a stream is always the stream's
 * oldest deliveries, and each stream's order holds across competing consumers. Returns them in
 * sequence order.
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
  const free = statement<{ seq: bigint; streamId: string }>(
    db,
    `SELECT seq, stream_id AS streamId FROM factum_broker_deliveries
     WHERE namespace = @namespace AND grp = @group AND seq > @after
       AND (lease_until IS NULL OR lease_until < @now)
     ORDER BY seq LIMIT @window`,
  ).safeIntegers(true);
  const earlier = statement(
    db,
    `SELECT 1 FROM factum_broker_deliveries
     WHERE namespace = ? AND grp = ? AND stream_id = ? AND seq < ? LIMIT 1`,
  ).safeIntegers(true);
  const window = Math.max(100, limit * 4);
  const mine = new Set<string>();
  const blocked = new Set<string>();
  const take: bigint[] = [];
  let after = 0n;
  let scanned = 0;
  while (take.length < limit && scanned < MAX_SCANNED) {
    const rows = free.all({ namespace, group, after, now, window });
    for (const row of rows) {
      if (take.length === limit) break;
      if (mine.has(row.streamId)) {
        take.push(row.seq);
      } else if (!blocked.has(row.streamId)) {
        if (earlier.get(namespace, group, row.streamId, row.seq) === undefined) {
          mine.add(row.streamId);
          take.push(row.seq);
        } else {
          blocked.add(row.streamId);
        }
      }
    }
    scanned += rows.length;
    if (rows.length < window) break;
    after = rows.at(-1)!.seq;
  }
  if (take.length === 0) return [];
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
