/**
 * Events a projection could not apply. `status` 'dead': the handler kept failing (error and stack
 * kept); 'parked': a later event of the same ordering key (stream by default), held back behind a
 * dead one so the key's events are never applied out of order. `action` is an operator's request
 * (retry or skip) that the projection's active runner carries out. The whole event is kept as JSON,
 * so a retry needs nothing else.
 */
export const migration = {
  version: 6,
  name: 'create-projection-dead-letters',
  sql: `CREATE TABLE factum_projection_dead_letters (
  id            INTEGER PRIMARY KEY,
  projection    TEXT    NOT NULL,
  generation    INTEGER NOT NULL,
  status        TEXT    NOT NULL CHECK (status IN ('dead', 'parked')),
  ordering_key  TEXT,
  position      INTEGER NOT NULL,
  event_id      TEXT    NOT NULL,
  stream_id     TEXT    NOT NULL,
  event_type    TEXT    NOT NULL,
  event         TEXT    NOT NULL,
  error_message TEXT,
  error_stack   TEXT,
  attempts      INTEGER NOT NULL,
  action        TEXT    CHECK (action IN ('retry', 'skip')),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (projection, generation, position)
) STRICT;
CREATE INDEX factum_projection_dead_letters_by_key
  ON factum_projection_dead_letters (projection, generation, ordering_key, position)`,
};
