import type { PostgresMigration } from '../../../stores/postgres/kit.js';

/**
 * Projection leases: at most one holder per name (one active runner, or one rebuild, per projection),
 * with a fencing token that grows on every change of holder and is checked inside each of the holder's
 * write transactions. Plain rows and short transactions, so they work behind transaction-pooling
 * proxies (PgBouncer) where session advisory locks do not hold. Times are milliseconds since the epoch.
 */
export const migration: PostgresMigration = {
  version: 7,
  name: 'create-projection-leases',
  statements: (s) => [
    `CREATE TABLE ${s.quoted}.factum_projection_leases (
  name        text   PRIMARY KEY,
  owner       text   NOT NULL,
  token       bigint NOT NULL,
  acquired_at bigint NOT NULL,
  renewed_at  bigint NOT NULL,
  expires_at  bigint NOT NULL
)`,
  ],
};
