import type { PostgresMigration } from '../../../stores/postgres/kit.js';

/**
 * The transactional outbox of state-based services: rows written in the caller's own transaction,
 * claimed by relays with FOR UPDATE SKIP LOCKED, marked published once the broker confirmed them.
 * The partial index keeps the claim query on the unpublished rows only.
 */
export const migration: PostgresMigration = {
  version: 12,
  name: 'create-outbox',
  statements: (s) => [
    `CREATE TABLE ${s.quoted}.factum_outbox (
  position       bigint      GENERATED ALWAYS AS IDENTITY,
  event_id       uuid        NOT NULL,
  stream_id      text        NOT NULL,
  version        integer     NOT NULL,
  category       text        NOT NULL,
  type           text        NOT NULL,
  schema_version integer     NOT NULL,
  data           json        NOT NULL,
  metadata       json        NOT NULL,
  recorded_at    timestamptz NOT NULL,
  published_at   timestamptz,
  CONSTRAINT factum_outbox_pkey PRIMARY KEY (position),
  CONSTRAINT factum_outbox_event_id_key UNIQUE (event_id),
  CONSTRAINT factum_outbox_stream_version_key UNIQUE (stream_id, version)
)`,
    `CREATE INDEX factum_outbox_unpublished ON ${s.quoted}.factum_outbox (position) WHERE published_at IS NULL`,
  ],
};
