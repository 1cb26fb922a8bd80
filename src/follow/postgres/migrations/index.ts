import {
  ensureMigrations,
  MIGRATION_NUMBERS,
  type PostgresHandle,
  type PostgresMigration,
  registerMigrations,
} from '../../../stores/postgres/kit.js';
import { migration as m0010 } from './0010-create-checkpoints.js';
import { migration as m0011 } from './0011-create-leases.js';
import { migration as m0015 } from './0015-one-lease-and-checkpoint-table.js';

/** The PostgreSQL migrations of following the log: checkpoints and leases (0010, 0011), one lease and one checkpoint table for every follower (0015); 0016-0019 are kept for it. */
export const followMigrations: readonly PostgresMigration[] = [m0010, m0011, m0015];

registerMigrations({ area: 'follow', versions: MIGRATION_NUMBERS.follow, migrations: followMigrations });

/** Applies (or, on a store opened without `migrate: true`, checks) the checkpoint and lease tables; once per pool and schema. */
export function ensureFollowMigrations(handle: PostgresHandle): Promise<void> {
  return ensureMigrations(handle, 'follow');
}
