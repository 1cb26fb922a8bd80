/** Named leases: one owner at a time (one relay per checkpoint), taken over when the holder stops renewing. */
export const migration = {
  version: 11,
  name: 'create-leases',
  sql: `CREATE TABLE factum_leases (
  name       TEXT    PRIMARY KEY,
  owner      TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT`,
};
