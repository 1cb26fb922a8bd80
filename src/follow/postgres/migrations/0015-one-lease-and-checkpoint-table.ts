import type { PostgresMigration } from '../../../stores/postgres/kit.js';

/** Milliseconds since the epoch of a timestamptz column. */
const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::bigint`;

/**
 * One lease table and one checkpoint table for every follower (projection runners and rebuilds,
 * relays): `factum_leases` gets the fenced shape (token; acquired, renewed and expiry in ms since the
 * epoch by the database clock) the projections' leases had, and the projections' leases and
 * checkpoints move in beside the relays'. Relay rows are renamed `relay:<name>` (their fence becomes
 * the token), projection checkpoints `projection:<name>:<generation>`; runner and rebuild leases keep
 * their names. The legacy tables are created first if missing, so the statements hold for a schema
 * at any earlier migration, then dropped.
 */
export const migration: PostgresMigration = {
  version: 15,
  name: 'one-lease-and-checkpoint-table',
  statements: (s) => [
    `CREATE TABLE IF NOT EXISTS ${s.quoted}.factum_projection_leases (
  name        text   PRIMARY KEY,
  owner       text   NOT NULL,
  token       bigint NOT NULL,
  acquired_at bigint NOT NULL,
  renewed_at  bigint NOT NULL,
  expires_at  bigint NOT NULL
)`,
    `CREATE TABLE IF NOT EXISTS ${s.quoted}.factum_projection_checkpoints (
  projection text        NOT NULL,
  generation integer     NOT NULL,
  position   bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, generation)
)`,
    `CREATE TABLE ${s.quoted}.factum_leases_next (
  name        text   NOT NULL,
  owner       text   NOT NULL,
  token       bigint NOT NULL,
  acquired_at bigint NOT NULL,
  renewed_at  bigint NOT NULL,
  expires_at  bigint NOT NULL,
  CONSTRAINT factum_leases_next_pkey PRIMARY KEY (name)
)`,
    `INSERT INTO ${s.quoted}.factum_leases_next (name, owner, token, acquired_at, renewed_at, expires_at)
SELECT name, owner, token, acquired_at, renewed_at, expires_at FROM ${s.quoted}.factum_projection_leases`,
    `INSERT INTO ${s.quoted}.factum_leases_next (name, owner, token, acquired_at, renewed_at, expires_at)
SELECT 'relay:' || name, owner, fence, ${ms('expires_at')}, ${ms('expires_at')}, ${ms('expires_at')}
FROM ${s.quoted}.factum_leases`,
    `DROP TABLE ${s.quoted}.factum_leases`,
    `DROP TABLE ${s.quoted}.factum_projection_leases`,
    `ALTER TABLE ${s.quoted}.factum_leases_next RENAME TO factum_leases`,
    `ALTER TABLE ${s.quoted}.factum_leases RENAME CONSTRAINT factum_leases_next_pkey TO factum_leases_pkey`,
    `CREATE TABLE ${s.quoted}.factum_checkpoints_next (
  name       text        NOT NULL,
  position   bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT factum_checkpoints_next_pkey PRIMARY KEY (name)
)`,
    `INSERT INTO ${s.quoted}.factum_checkpoints_next (name, position, updated_at)
SELECT 'relay:' || name, position, updated_at FROM ${s.quoted}.factum_checkpoints`,
    `INSERT INTO ${s.quoted}.factum_checkpoints_next (name, position, updated_at)
SELECT 'projection:' || projection || ':' || generation, position, updated_at
FROM ${s.quoted}.factum_projection_checkpoints`,
    `DROP TABLE ${s.quoted}.factum_checkpoints`,
    `DROP TABLE ${s.quoted}.factum_projection_checkpoints`,
    `ALTER TABLE ${s.quoted}.factum_checkpoints_next RENAME TO factum_checkpoints`,
    `ALTER TABLE ${s.quoted}.factum_checkpoints RENAME CONSTRAINT factum_checkpoints_next_pkey TO factum_checkpoints_pkey`,
  ],
};
