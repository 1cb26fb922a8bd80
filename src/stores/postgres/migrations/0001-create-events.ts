import type { PostgresMigration } from './migration.js';

/**
 * The append-only event log. `position` = appending transaction id * 2^16 + sequence in that
 * transaction (see position.ts); readers only read below the oldest running transaction, so a
 * transaction that commits late can never land behind a position a reader has already passed.
 * data and metadata are json, not jsonb: stored and returned as the exact JSON text that was appended
 * (jsonb would refuse \u0000 in strings and costs more CPU to write and to read back); cast to jsonb
 * in a query when you need its operators.
 */
export const migration: PostgresMigration = {
  version: 1,
  name: 'create-events',
  statements: (s) => [
    `CREATE TABLE ${s.events} (
  position       bigint      NOT NULL,
  event_id       uuid        NOT NULL,
  stream_id      text        NOT NULL,
  version        integer     NOT NULL,
  category       text        NOT NULL,
  type           text        NOT NULL,
  schema_version integer     NOT NULL,
  data           json        NOT NULL,
  metadata       json        NOT NULL,
  recorded_at    timestamptz NOT NULL,
  CONSTRAINT factum_events_pkey PRIMARY KEY (position),
  CONSTRAINT factum_events_stream_version_key UNIQUE (stream_id, version),
  CONSTRAINT factum_events_event_id_key UNIQUE (event_id),
  CONSTRAINT factum_events_version_check CHECK (version > 0),
  CONSTRAINT factum_events_position_check CHECK (position > 0)
)`,
  ],
};
