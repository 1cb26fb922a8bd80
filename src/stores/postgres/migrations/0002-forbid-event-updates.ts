import type { PostgresMigration } from './migration.js';

/** Events are immutable: the database itself refuses an UPDATE of a stored event. */
export const migration: PostgresMigration = {
  version: 2,
  name: 'forbid-event-updates',
  statements: (s) => [
    `CREATE FUNCTION ${s.quoted}.factum_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'factum_events is append-only: events cannot be %', lower(TG_OP)
    USING ERRCODE = 'restrict_violation';
END
$$`,
    `CREATE TRIGGER factum_events_no_update BEFORE UPDATE ON ${s.events}
  FOR EACH ROW EXECUTE FUNCTION ${s.quoted}.factum_events_append_only()`,
  ],
};
