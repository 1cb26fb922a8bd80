/** Events are immutable: the database itself refuses an UPDATE of a stored event. */
export const migration = {
  version: 2,
  name: 'forbid-event-updates',
  sql: `CREATE TRIGGER factum_events_no_update BEFORE UPDATE ON factum_events
BEGIN
  SELECT RAISE(ABORT, 'factum_events is append-only: events cannot be updated');
END`,
};
