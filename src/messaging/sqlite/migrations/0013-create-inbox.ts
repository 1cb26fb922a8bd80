/** Idempotent consumers: (consumer, event id) recorded in the same transaction as the handler's effects. */
export const migration = {
  version: 13,
  name: 'create-inbox',
  sql: `CREATE TABLE factum_inbox (
  consumer     TEXT    NOT NULL,
  event_id     TEXT    NOT NULL,
  processed_at INTEGER NOT NULL,
  PRIMARY KEY (consumer, event_id)
) STRICT, WITHOUT ROWID`,
};
