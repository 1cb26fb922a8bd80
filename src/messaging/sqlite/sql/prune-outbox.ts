import type Database from 'better-sqlite3';

export interface OutboxWindow {
  /** Rows in the window. */
  n: number;
  /** Its last position (null when empty). */
  last: bigint | null;
  /** 1 when a row of the window was recorded at or after the cutoff: later rows are younger still. */
  reached: number | null;
}

/**
 * The next window of outbox rows after a position, in position order (the primary key): how many,
 * where it ends, and whether it reaches rows recorded after the cutoff.
 */
export function prepareOutboxWindow(
  db: Database.Database,
): Database.Statement<{ after: bigint; limit: number; cutoff: number }, OutboxWindow> {
  return db
    .prepare<{ after: bigint; limit: number; cutoff: number }, OutboxWindow>(
      `SELECT count(*) AS n, max(position) AS last, max(recorded_at >= @cutoff) AS reached
       FROM (SELECT position, recorded_at FROM factum_outbox WHERE position > @after ORDER BY position LIMIT @limit)`,
    )
    .safeIntegers(true) as unknown as Database.Statement<
    { after: bigint; limit: number; cutoff: number },
    OutboxWindow
  >;
}

/**
 * Deletes, within (after, last], the rows published before the cutoff, except each stream's newest
 * row: it carries the stream's version, which the next message of the stream continues from.
 * Unpublished rows are never deleted.
 */
export function preparePruneOutbox(
  db: Database.Database,
): Database.Statement<{ after: bigint; last: bigint; cutoff: number }> {
  return db.prepare<{ after: bigint; last: bigint; cutoff: number }>(
    `DELETE FROM factum_outbox AS o
     WHERE o.position > @after AND o.position <= @last
       AND o.published_at IS NOT NULL AND o.published_at < @cutoff
       AND EXISTS (SELECT 1 FROM factum_outbox AS later
                   WHERE later.stream_id = o.stream_id AND later.version > o.version)`,
  );
}
