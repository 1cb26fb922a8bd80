/**
 * Snapshots of deciders' state: one row per (stream, decider name), replaced as the stream grows.
 * A cache beside the append-only log: rows may be deleted at any time without changing any result.
 */
export const migration = {
  version: 4,
  name: 'create-snapshots',
  sql: `CREATE TABLE factum_snapshots (
  stream_id      TEXT    NOT NULL,
  name           TEXT    NOT NULL,
  version        INTEGER NOT NULL,
  schema_version INTEGER NOT NULL,
  state          TEXT    NOT NULL,
  taken_at       INTEGER NOT NULL,
  PRIMARY KEY (stream_id, name)
) STRICT, WITHOUT ROWID`,
};
