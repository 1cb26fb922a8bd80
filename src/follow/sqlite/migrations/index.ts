import {
  ensureMigrations,
  MIGRATION_NUMBERS,
  registerMigrations,
  type SqliteHandle,
  type SqliteMigration,
} from '../../../stores/sqlite/kit.js';
import { migration as m0010 } from './0010-create-checkpoints.js';
import { migration as m0011 } from './0011-create-leases.js';
import { migration as m0015 } from './0015-one-lease-and-checkpoint-table.js';

/** The SQLite migrations of following the log: checkpoints and leases (0010, 0011), one lease and one checkpoint table for every follower (0015); 0016-0019 are kept for it. */
export const followMigrations: readonly SqliteMigration[] = [m0010, m0011, m0015];

registerMigrations({ area: 'follow', versions: MIGRATION_NUMBERS.follow, migrations: followMigrations });

/** Applies (or, on a store opened with `migrate: false`, checks) the checkpoint and lease tables, synchronously. */
export function ensureFollowMigrations(handle: SqliteHandle): void {
  ensureMigrations(handle, 'follow');
}
