/**
 * One lease table and one checkpoint table for every follower (projection runners and rebuilds,
 * relays): `factum_leases` gets the fenced shape (token, acquired, renewed, expiry) the projections'
 * leases had, and the projections' leases and checkpoints move in beside the relays'. Relay rows are
 * renamed `relay:<name>`, projection checkpoints `projection:<name>:<generation>`; runner and rebuild
 * leases keep their names. The legacy tables are created first if missing, so the statements hold for
 * a database at any earlier migration, then dropped.
 */
export const migration = {
  version: 15,
  name: 'one-lease-and-checkpoint-table',
  sql: `CREATE TABLE IF NOT EXISTS factum_projection_leases (
  name        TEXT    PRIMARY KEY,
  owner       TEXT    NOT NULL,
  token       INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL,
  renewed_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS factum_projection_checkpoints (
  projection TEXT    NOT NULL,
  generation INTEGER NOT NULL,
  position   INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (projection, generation)
) STRICT;
CREATE TABLE factum_leases_next (
  name        TEXT    PRIMARY KEY,
  owner       TEXT    NOT NULL,
  token       INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL,
  renewed_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) STRICT;
INSERT INTO factum_leases_next (name, owner, token, acquired_at, renewed_at, expires_at)
  SELECT name, owner, token, acquired_at, renewed_at, expires_at FROM factum_projection_leases;
INSERT INTO factum_leases_next (name, owner, token, acquired_at, renewed_at, expires_at)
  SELECT 'relay:' || name, owner, 1, expires_at, expires_at, expires_at FROM factum_leases;
DROP TABLE factum_leases;
DROP TABLE factum_projection_leases;
ALTER TABLE factum_leases_next RENAME TO factum_leases;
CREATE TABLE factum_checkpoints_next (
  name       TEXT    PRIMARY KEY,
  position   INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO factum_checkpoints_next (name, position, updated_at)
  SELECT 'relay:' || name, position, updated_at FROM factum_checkpoints;
INSERT INTO factum_checkpoints_next (name, position, updated_at)
  SELECT 'projection:' || projection || ':' || generation, position, updated_at FROM factum_projection_checkpoints;
DROP TABLE factum_checkpoints;
DROP TABLE factum_projection_checkpoints;
ALTER TABLE factum_checkpoints_next RENAME TO factum_checkpoints`,
};
