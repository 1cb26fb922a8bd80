import { ensureSqliteFollowMigrations as ensureFollowMigrations } from '../../../follow/kit.js';
import {
  ensureMigrations,
  MIGRATION_NUMBERS,
  registerMigrations,
  type SqliteHandle,
  type SqliteMigration,
} from '../../../stores/sqlite/kit.js';
import { migration as m0005 } from './0005-create-projections.js';
import { migration as m0006 } from './0006-create-projection-dead-letters.js';
import { migration as m0007 } from './0007-create-projection-leases.js';
import { migration as m0008 } from './0008-pause-projections.js';

/** The projections' SQLite migrations (numbers 0005-0009 are theirs). */
export const projectionMigrations: readonly SqliteMigration[] = [m0005, m0006, m0007, m0008];

registerMigrations({
  area: 'projections',
  versions: MIGRATION_NUMBERS.projections,
  migrations: projectionMigrations,
});

/** Applies (or, on a store opened with `migrate: false`, checks) the projection tables, synchronously. */
export function ensureProjectionMigrations(handle: SqliteHandle): void {
  // Checkpoints and leases are the follow kit's tables: theirs first.
  ensureFollowMigrations(handle);
  ensureMigrations(handle, 'projections');
}
