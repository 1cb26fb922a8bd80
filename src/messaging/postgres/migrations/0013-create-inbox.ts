import type { PostgresMigration } from '../../../stores/postgres/kit.js';

/** Idempotent consumers: (consumer, event id) recorded in the same transaction as the handler's effects. */
export const migration: PostgresMigration = {
  version: 13,
  name: 'create-inbox',
  statements: (s) => [
    `CREATE TABLE ${s.quoted}.factum_inbox (
  consumer     text        NOT NULL,
  event_id     text        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT factum_inbox_pkey PRIMARY KEY (consumer, event_id)
)`,
  ],
};
