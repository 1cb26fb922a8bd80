import type Database from 'better-sqlite3';

/** Deletes a lease if the given owner holds it. */
export function prepareReleaseLease(db: Database.Database): Database.Statement<[string, string]> {
  return db.prepare<[string, string]>('DELETE FROM factum_leases WHERE name = ? AND owner = ?');
}
