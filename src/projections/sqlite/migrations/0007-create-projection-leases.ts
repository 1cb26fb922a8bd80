/**
 * Projection leases: at most one holder per name (one active runner, or one rebuild, per projection).
 * A holder renews its lease before `expires_at`; a dead holder's lease simply expires and a standby
 * takes it. `token` grows on every change of holder, and a holder's writes check it in their own transaction (fencing), so a
 * holder that stalled past its expiry can never commit after a successor took over. Works in one
 * SQLite file across processes, and behind PostgreSQL transaction-pooling proxies where session
 * advisory locks do not.
 */
export const migration = {
  version: 7,
  name: 'create-projection-leases',
  sql: `CREATE TABLE factum_projection_leases (
  name        TEXT    PRIMARY KEY,
  owner       TEXT    NOT NULL,
  token       INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL,
  renewed_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) STRICT`,
};
