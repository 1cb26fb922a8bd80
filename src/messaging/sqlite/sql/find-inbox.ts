import type Database from 'better-sqlite3';

/** Whether (consumer, event id) is recorded. */
export function prepareFindInbox(
  db: Database.Database,
): Database.Statement<[string, string], { found: number }> {
  return db.prepare<[string, string], { found: number }>(
    'SELECT 1 AS found FROM factum_inbox WHERE consumer = ? AND event_id = ?',
  );
}
