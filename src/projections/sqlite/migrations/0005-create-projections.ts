/**
 * Projection bookkeeping. `factum_projections`: one row per registered projection, naming the
 * generation readers see (`live_generation`) and the one a rebuild is writing (`building_generation`).
 * `factum_projection_objects`: which projection owns each read-model name (collection or raw table),
 * so two projections never write the same table. Release 0.1 also created
 * `factum_projection_checkpoints` here; checkpoints now live in the follower table `factum_checkpoints`
 * (follow migration 0015 moves the rows of databases that have the old table and drops it), so a new
 * database never gets the old one.
 */
export const migration = {
  version: 5,
  name: 'create-projections',
  sql: `CREATE TABLE factum_projections (
  name                TEXT    PRIMARY KEY,
  mode                TEXT    NOT NULL CHECK (mode IN ('async', 'inline')),
  version             INTEGER NOT NULL,
  live_generation     INTEGER NOT NULL,
  building_generation INTEGER,
  sla_max_lag_ms      INTEGER,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
) STRICT;
CREATE TABLE factum_projection_objects (
  name       TEXT NOT NULL PRIMARY KEY,
  projection TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('documents', 'table'))
) STRICT`,
};
