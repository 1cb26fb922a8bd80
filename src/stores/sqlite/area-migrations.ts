import type Database from 'better-sqlite3';
import { MigrationRequiredError, StoreUnavailableError } from '../../core/errors.js';
import type { MigrationArea } from '../migration-registry.js';
import { translate } from './errors.js';
import { isMigrated, markMigrated } from './migrated-areas.js';
import {
  applyMigrations,
  assertMigrated,
  type Migration,
  oneArea,
  sqliteMigrations,
} from './migrations/index.js';
import { isSqliteStore } from './store-guard.js';

/** A better-sqlite3 connection, or anything that has one (a SqliteEventStore). */
export type SqliteHandle = Database.Database | { readonly database: Database.Database };

/** The connection of a handle. */
export function databaseOf(handle: SqliteHandle): Database.Database {
  return 'database' in handle ? handle.database : handle;
}

/**
 * Registers an area's SQLite migrations (call it when the area's module loads). From then on,
 * opening a store that migrates, `migrate(db)` and `factum migrate` apply them with the others.
 */
export function registerMigrations(area: MigrationArea<Migration>): void {
  sqliteMigrations.register(area);
}

/**
 * Makes sure `area`'s migrations are applied on the handle's connection, synchronously (call it in a
 * storage factory, before preparing statements), once per connection. A bare connection or a store
 * opened to migrate (the default) applies what is missing, each migration under BEGIN IMMEDIATE; a
 * store opened with `migrate: false` checks and refuses with MigrationRequiredError naming
 * `factum migrate`. Either way an area migrated by a newer Factum is refused with StoreCorruptError;
 * other areas are not its concern.
 */
export function ensureMigrations(handle: SqliteHandle, area: string): void {
  const db = databaseOf(handle);
  if (isMigrated(db, area)) return;
  const apply = isSqliteStore(handle) ? handle.migrates !== false : true;
  try {
    if (!apply) {
      assertMigrated(db, [area]);
    } else {
      if (db.inTransaction) {
        // Checked first: a migration would join the open transaction instead of committing on its own.
        try {
          assertMigrated(db, [area]);
        } catch (error) {
          if (!(error instanceof MigrationRequiredError)) throw error;
          throw new StoreUnavailableError(
            `SQLite could not migrate ${area}: a transaction is open on this connection; try again once it ended`,
          );
        }
      } else {
        applyMigrations(db, oneArea(area));
      }
    }
  } catch (error) {
    throw translate(error, `migrate ${area}`);
  }
  markMigrated(db, [area]);
}
