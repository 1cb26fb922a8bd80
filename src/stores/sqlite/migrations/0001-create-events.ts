/** The append-only event log. `position` is the rowid: assigned in commit order, never reused (rows are never deleted). */
export const migration = {
  version: 1,
  name: 'create-events',
  sql: `CREATE TABLE factum_events (
  position       INTEGER PRIMARY KEY,
  event_id       TEXT    NOT NULL UNIQUE,
  stream_id      TEXT    NOT NULL,
  version        INTEGER NOT NULL,
  category       TEXT    NOT NULL,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  data           TEXT    NOT NULL,
  metadata       TEXT    NOT NULL,
  recorded_at    INTEGER NOT NULL,
  UNIQUE (stream_id, version)
) STRICT`,
};
