import type { PostgresMigration } from '../../../stores/postgres/kit.js';

/** Where relays (and other log tailers) remember the last global position they finished. */
export const migration: PostgresMigration = {
  version: 10,
  name: 'create-checkpoints',
  statements: (s) => [
    `CREATE TABLE ${s.quoted}.factum_checkpoints (
  name       text        NOT NULL,
  position   bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT factum_checkpoints_pkey PRIMARY KEY (name)
)`,
  ],
};
