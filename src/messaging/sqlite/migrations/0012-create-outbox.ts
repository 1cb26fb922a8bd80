/**
 * The transactional outbox of state-based services: rows written in the caller's own transaction,
 * drained in position order by the relay, marked published once the broker confirmed them.
 */
export const migration = {
  version: 12,
  name: 'create-outbox',
  sql: `CREATE TABLE factum_outbox (
  position       INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id       TEXT    NOT NULL UNIQUE,
  stream_id      TEXT    NOT NULL,
  version        INTEGER NOT NULL,
  category       TEXT    NOT NULL,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  data           TEXT    NOT NULL,
  metadata       TEXT    NOT NULL,
  recorded_at    INTEGER NOT NULL,
  published_at   INTEGER,
  UNIQUE (stream_id, version)
) STRICT;
CREATE INDEX factum_outbox_unpublished ON factum_outbox (position) WHERE published_at IS NULL`,
};
