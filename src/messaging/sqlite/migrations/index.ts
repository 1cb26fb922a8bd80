import {
  ensureMigrations,
  MIGRATION_NUMBERS,
  registerMigrations,
  type SqliteHandle,
  type SqliteMigration,
} from '../../../stores/sqlite/kit.js';
import { migration as m0012 } from './0012-create-outbox.js';
import { migration as m0013 } from './0013-create-inbox.js';
import { migration as m0014 } from './0014-create-broker-tables.js';

/**
 * Messaging's SQLite migrations: outbox, inbox, the SQLite transport's tables (0012-0014 and 0020-0024
 * are its numbers).
 */
export const messagingMigrations: readonly SqliteMigration[] = [m0012, m0013, m0014];

registerMigrations({
  area: 'messaging',
  versions: MIGRATION_NUMBERS.messaging,
  migrations: messagingMigrations,
});

/** Applies (or, on a store opened with `migrate: false`, checks) the messaging tables, synchronously. */
export function ensureMessagingMigrations(handle: SqliteHandle): void {
  ensureMigrations(handle, 'messaging');
}
