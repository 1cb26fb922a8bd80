/** Where relays (and other log tailers) remember the last global position they finished. */
export const migration = {
  version: 10,
  name: 'create-checkpoints',
  sql: `CREATE TABLE factum_checkpoints (
  name       TEXT    PRIMARY KEY,
  position   INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT`,
};
