import {
  ensureMigrations,
  MIGRATION_NUMBERS,
  type PostgresHandle,
  type PostgresMigration,
  registerMigrations,
} from '../../../stores/postgres/kit.js';
import { migration as m0012 } from './0012-create-outbox.js';
import { migration as m0013 } from './0013-create-inbox.js';

/** Messaging's PostgreSQL migrations: outbox and inbox (0012-0014 and 0020-0024 are its numbers). */
export const messagingMigrations: readonly PostgresMigration[] = [m0012, m0013];

registerMigrations({
  area: 'messaging',
  versions: MIGRATION_NUMBERS.messaging,
  migrations: messagingMigrations,
});

/** Applies (or, on a store opened without `migrate: true`, checks) the outbox and inbox tables; once per pool and schema. */
export function ensureMessagingMigrations(handle: PostgresHandle): Promise<void> {
  return ensureMigrations(handle, 'messaging');
}
