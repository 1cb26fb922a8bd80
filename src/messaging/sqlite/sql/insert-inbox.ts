import type Database from 'better-sqlite3';

/** Records (consumer, event id); changes = 0 when it was already recorded. */
export function prepareInsertInbox(db: Database.Database): Database.Statement<[string, string, number]> {
  return db.prepare<[string, string, number]>(
    `INSERT INTO factum_inbox (consumer, event_id, processed_at) VALUES (?, ?, ?)
     ON CONFLICT (consumer, event_id) DO NOTHING`,
  );
}
