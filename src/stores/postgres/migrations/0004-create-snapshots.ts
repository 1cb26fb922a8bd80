import type { PostgresMigration } from './migration.js';

/**
 * Snapshots of deciders' state: one row per (stream, decider name), replaced as the stream grows.
 * A cache beside the append-only log: rows may be deleted at any time without changing any result.
 */
export const migration: PostgresMigration = {
  version: 4,
  name: 'create-snapshots',
  statements: (s) => [
    `CREATE TABLE ${s.snapshots} (
  stream_id      text        NOT NULL,
  name           text        NOT NULL,
  version        integer     NOT NULL,
  schema_version integer     NOT NULL,
  state          json        NOT NULL,
  taken_at       timestamptz NOT NULL,
  CONSTRAINT factum_snapshots_pkey PRIMARY KEY (stream_id, name)
)`,
  ],
};
