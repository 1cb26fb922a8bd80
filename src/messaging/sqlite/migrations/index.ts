import {
  ensureMigrations,
  MIGRATION_NUMBERS,
  registerMigrations,
  type SqliteHandle,
  type SqliteMigration,
} from '../../../stores/sqlite/kit.js';
import { migration as m0012 } from './0012-create-outbox.js';
import { migration as m0013 } from './0013-create-inbox.js';

/** Messaging's SQLite migrations: outbox and inbox (0012-0014 and 0020-0024 are its numbers). */
export const messagingMigrations: readonly SqliteMigration[] = [m0012, m0013];

registerMigrations({
  area: 'messaging',
  versions: MIGRATION_NUMBERS.messaging,
  migrations: messagingMigrations,
});

/** Applies (or, on a store opened with `migrate: false`, checks) the outbox and inbox tables, synchronously. */
export function ensureMessagingMigrations(handle: SqliteHandle): void {
  ensureMigrations(handle, 'messaging');
}
