/**
 * Projection bookkeeping. `factum_projections`: one row per registered projection, naming the
 * generation readers see (`live_generation`) and the one a rebuild is writing (`building_generation`).
 * `factum_projection_checkpoints`: the last position each generation has applied, written in the same
 * transaction as that generation's read-model rows. `factum_projection_objects`: which projection owns
 * each read-model name (collection or raw table), so two projections never write the same table.
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
CREATE TABLE factum_projection_checkpoints (
  projection TEXT    NOT NULL,
  generation INTEGER NOT NULL,
  position   INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (projection, generation)
) STRICT;
CREATE TABLE factum_projection_objects (
  name       TEXT NOT NULL PRIMARY KEY,
  projection TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('documents', 'table'))
) STRICT`,
};
