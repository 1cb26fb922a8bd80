import type { PostgresMigration } from '../../../stores/postgres/kit.js';

/**
 * Named leases: one owner at a time (one relay per checkpoint), taken over once the holder stopped
 * renewing. Expiry is compared with the database clock, so relays on hosts with skewed clocks agree;
 * `fence` grows by one at every change of owner (a fencing token).
 */
export const migration: PostgresMigration = {
  version: 11,
  name: 'create-leases',
  statements: (s) => [
    `CREATE TABLE ${s.quoted}.factum_leases (
  name       text        NOT NULL,
  owner      text        NOT NULL,
  expires_at timestamptz NOT NULL,
  fence      bigint      NOT NULL DEFAULT 1,
  CONSTRAINT factum_leases_pkey PRIMARY KEY (name)
)`,
  ],
};
