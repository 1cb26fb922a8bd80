import type { PostgresMigration } from '../../../stores/postgres/kit.js';

/**
 * Events a projection could not apply ('dead') and later events of the same ordering key held behind
 * them ('parked'), with error, stack, attempts and an operator's pending action. The whole event is
 * kept as JSON (position as a string, timestamp in ms), so a retry needs nothing else.
 */
export const migration: PostgresMigration = {
  version: 6,
  name: 'create-projection-dead-letters',
  statements: (s) => [
    `CREATE TABLE ${s.quoted}.factum_projection_dead_letters (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  projection    text        NOT NULL,
  generation    integer     NOT NULL,
  status        text        NOT NULL CHECK (status IN ('dead', 'parked')),
  ordering_key  text,
  position      bigint      NOT NULL,
  event_id      text        NOT NULL,
  stream_id     text        NOT NULL,
  event_type    text        NOT NULL,
  event         json        NOT NULL,
  error_message text,
  error_stack   text,
  attempts      integer     NOT NULL,
  action        text        CHECK (action IN ('retry', 'skip')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (projection, generation, position)
)`,
    `CREATE INDEX factum_projection_dead_letters_by_key
  ON ${s.quoted}.factum_projection_dead_letters (projection, generation, ordering_key, position)`,
  ],
};
