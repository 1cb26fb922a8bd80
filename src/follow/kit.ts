/**
 * What the layers above build their own storages on (projection storage extends the follower
 * transaction of each database), beside the public API in index.ts. Layers above import follow only
 * through these two files.
 */

export { assertStrategyAvailable } from './lease.js';
export type { MemoryFollowShared, MemoryFollowState } from './memory/storage.js';
export { MemoryFollowTx, memoryFollowShared, memoryRead, memoryTransaction } from './memory/storage.js';
export { pause, Waker } from './pause.js';
export { ensureFollowMigrations as ensurePostgresFollowMigrations } from './postgres/migrations/index.js';
export { lockScopes } from './postgres/sql/lock-scopes.js';
export type { FollowTables, PostgresTransactionsOptions } from './postgres/storage.js';
export {
  checkLeaseOn,
  followTables,
  PostgresFollowTx,
  PostgresTransactions,
  runFollowTx,
} from './postgres/storage.js';
export { ensureFollowMigrations as ensureSqliteFollowMigrations } from './sqlite/migrations/index.js';
export { runWithTx, SqliteFollowTx } from './sqlite/storage.js';
