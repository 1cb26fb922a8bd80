import type { PostgresMigration } from '../../../stores/postgres/kit.js';

/**
 * Projection bookkeeping, as on SQLite. `factum_projections`: one row per registered projection, naming
 * the generation readers see and the one a rebuild is writing. `factum_projection_objects`: which
 * projection owns each read-model name. Release 0.1 also created `factum_projection_checkpoints` here;
 * checkpoints now live in the follower table `factum_checkpoints` (follow migration 0015 moves the
 * rows of databases that have the old table and drops it), so a new schema never gets the old one.
 */
export const migration: PostgresMigration = {
  version: 5,
  name: 'create-projections',
  statements: (s) => [
    `CREATE TABLE ${s.quoted}.factum_projections (
  name                text        PRIMARY KEY,
  mode                text        NOT NULL CHECK (mode IN ('async', 'inline')),
  version             integer     NOT NULL,
  live_generation     integer     NOT NULL,
  building_generation integer,
  sla_max_lag_ms      bigint,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
)`,
    `CREATE TABLE ${s.quoted}.factum_projection_objects (
  name       text NOT NULL PRIMARY KEY,
  projection text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('documents', 'table'))
)`,
  ],
};
