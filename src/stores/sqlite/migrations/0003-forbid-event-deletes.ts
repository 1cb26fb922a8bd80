/** Events are immutable: the database itself refuses a DELETE of a stored event. */
export const migration = {
  version: 3,
  name: 'forbid-event-deletes',
  sql: `CREATE TRIGGER factum_events_no_delete BEFORE DELETE ON factum_events
BEGIN
  SELECT RAISE(ABORT, 'factum_events is append-only: events cannot be deleted');
END`,
};
