/**
 * The SQLite transport's queues (createSqliteBroker): published messages, declared groups with their
 * filters, one delivery row per (group, message) until the group acknowledges or dead-letters it, and
 * each group's dead letters. `namespace` keeps several brokers apart in one file.
 */
export const migration = {
  version: 14,
  name: 'create-broker-tables',
  sql: `CREATE TABLE factum_broker_messages (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace    TEXT    NOT NULL,
  message_id   TEXT    NOT NULL,
  stream_id    TEXT    NOT NULL,
  category     TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  headers      TEXT    NOT NULL,
  body         TEXT    NOT NULL,
  published_at INTEGER NOT NULL
) STRICT;
CREATE TABLE factum_broker_groups (
  namespace   TEXT    NOT NULL,
  grp         TEXT    NOT NULL,
  categories  TEXT,
  types       TEXT,
  declared_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, grp)
) STRICT, WITHOUT ROWID;
CREATE TABLE factum_broker_deliveries (
  namespace      TEXT    NOT NULL,
  grp            TEXT    NOT NULL,
  seq            INTEGER NOT NULL,
  stream_id      TEXT    NOT NULL,
  delivery_count INTEGER NOT NULL DEFAULT 0,
  owner          TEXT,
  lease_until    INTEGER,
  PRIMARY KEY (namespace, grp, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX factum_broker_deliveries_stream ON factum_broker_deliveries (namespace, grp, stream_id, seq);
CREATE INDEX factum_broker_deliveries_message ON factum_broker_deliveries (seq);
CREATE INDEX factum_broker_deliveries_owner ON factum_broker_deliveries (owner) WHERE owner IS NOT NULL;
CREATE TABLE factum_broker_dead_letters (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace        TEXT    NOT NULL,
  grp              TEXT    NOT NULL,
  seq              INTEGER NOT NULL,
  message_id       TEXT    NOT NULL,
  stream_id        TEXT    NOT NULL,
  reason           TEXT    NOT NULL,
  error            TEXT    NOT NULL,
  attempts         INTEGER NOT NULL,
  headers          TEXT    NOT NULL,
  body             TEXT    NOT NULL,
  dead_lettered_at INTEGER NOT NULL
) STRICT;
CREATE INDEX factum_broker_dead_letters_group ON factum_broker_dead_letters (namespace, grp, id)`,
};
