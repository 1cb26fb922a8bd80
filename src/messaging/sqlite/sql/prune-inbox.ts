import type Database from 'better-sqlite3';

/** Where an inbox walk stands: after this key (primary-key order), or at the start. */
export type InboxCursor = { consumer: string; eventId: string } | 'start';

export interface InboxPruneStatements {
  /** The key `offset` rows into the window after the cursor (the window's last key when it is full). */
  bound(cursor: InboxCursor, offset: number): { consumer: string; eventId: string } | undefined;
  /** Deletes the records processed before `cutoff` after the cursor, up to `last` included (or to the end). */
  prune(cursor: InboxCursor, last: { consumer: string; eventId: string } | undefined, cutoff: number): number;
}

/**
 * Windows of `factum_inbox` in primary-key order, for every consumer or for one (`consumer` given):
 * each window is walked by the primary key, so a transaction looks at a bounded number of rows.
 */
export function prepareInboxPrune(db: Database.Database, consumer: string | undefined): InboxPruneStatements {
  const only = consumer !== undefined;
  // The key range of a window, as SQL over named parameters.
  const after = (cursor: InboxCursor) =>
    cursor === 'start'
      ? ''
      : only
        ? 'AND event_id > @afterId'
        : 'AND (consumer, event_id) > (@afterConsumer, @afterId)';
  const upTo = (last: unknown) =>
    last === undefined
      ? ''
      : only
        ? 'AND event_id <= @lastId'
        : 'AND (consumer, event_id) <= (@lastConsumer, @lastId)';
  const scope = only ? 'consumer = @consumer' : '1 = 1';
  const order = only ? 'event_id' : 'consumer, event_id';
  const cache = new Map<string, Database.Statement>();
  const statement = (sql: string) => {
    let s = cache.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const params = (cursor: InboxCursor) => ({
    ...(only ? { consumer } : {}),
    ...(cursor === 'start'
      ? {}
      : only
        ? { afterId: cursor.eventId }
        : { afterConsumer: cursor.consumer, afterId: cursor.eventId }),
  });
  return {
    bound(cursor, offset) {
      const row = statement(
        `SELECT consumer, event_id AS eventId FROM factum_inbox WHERE ${scope} ${after(cursor)}
         ORDER BY ${order} LIMIT 1 OFFSET @offset`,
      ).get({ ...params(cursor), offset }) as { consumer: string; eventId: string } | undefined;
      return row;
    },
    prune(cursor, last, cutoff) {
      return statement(
        `DELETE FROM factum_inbox WHERE ${scope} ${after(cursor)} ${upTo(last)} AND processed_at < @cutoff`,
      ).run({
        ...params(cursor),
        ...(last === undefined
          ? {}
          : only
            ? { lastId: last.eventId }
            : { lastConsumer: last.consumer, lastId: last.eventId }),
        cutoff,
      }).changes;
    },
  };
}
