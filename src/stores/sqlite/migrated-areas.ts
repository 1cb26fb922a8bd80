import type Database from 'better-sqlite3';

/** Per connection: the areas checked or migrated in this process. */
const migrated = new WeakMap<Database.Database, Set<string>>();

/** Whether `area` was checked or migrated on `db` in this process. */
export function isMigrated(db: Database.Database, area: string): boolean {
  return migrated.get(db)?.has(area) === true;
}

/** Records that `areas` are up to date on `db` (a store just opened or migrated them). */
export function markMigrated(db: Database.Database, areas: readonly string[]): void {
  let done = migrated.get(db);
  if (done === undefined) {
    done = new Set();
    migrated.set(db, done);
  }
  for (const area of areas) done.add(area);
}
