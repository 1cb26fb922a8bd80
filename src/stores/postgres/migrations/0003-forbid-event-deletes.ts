import type { PostgresMigration } from './migration.js';

/** Events are immutable: the database itself refuses a DELETE or TRUNCATE of stored events. */
export const migration: PostgresMigration = {
  version: 3,
  name: 'forbid-event-deletes',
  statements: (s) => [
    `CREATE TRIGGER factum_events_no_delete BEFORE DELETE ON ${s.events}
  FOR EACH ROW EXECUTE FUNCTION ${s.quoted}.factum_events_append_only()`,
    `CREATE TRIGGER factum_events_no_truncate BEFORE TRUNCATE ON ${s.events}
  FOR EACH STATEMENT EXECUTE FUNCTION ${s.quoted}.factum_events_append_only()`,
  ],
};
