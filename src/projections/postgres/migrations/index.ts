import { ensurePostgresFollowMigrations as ensureFollowMigrations } from '../../../follow/kit.js';
import {
  ensureMigrations,
  MIGRATION_NUMBERS,
  type PostgresHandle,
  type PostgresMigration,
  registerMigrations,
} from '../../../stores/postgres/kit.js';
import { migration as m0005 } from './0005-create-projections.js';
import { migration as m0006 } from './0006-create-projection-dead-letters.js';
import { migration as m0007 } from './0007-create-projection-leases.js';
import { migration as m0008 } from './0008-pause-projections.js';

/** The projections' PostgreSQL migrations (numbers 0005-0009 are theirs). */
export const projectionMigrations: readonly PostgresMigration[] = [m0005, m0006, m0007, m0008];

registerMigrations({
  area: 'projections',
  versions: MIGRATION_NUMBERS.projections,
  migrations: projectionMigrations,
});

/** Applies (or, on a store opened without `migrate: true`, checks) the projection tables; once per pool and schema. */
export async function ensureProjectionMigrations(handle: PostgresHandle): Promise<void> {
  // Checkpoints and leases are the follow kit's tables: theirs first.
  await ensureFollowMigrations(handle);
  await ensureMigrations(handle, 'projections');
}
