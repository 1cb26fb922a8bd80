/**
 * factum/follow: the one way to follow the log (or an outbox) from a saved position with one active
 * instance. Projection runners and rebuilds, relays and the outbox drain are built on it; so can
 * your own followers be.
 */
export type { FollowOptions, FollowSource, Page } from './follow.js';
export { follow, logSource } from './follow.js';
export type {
  CheckedLeaseOptions,
  HoldingEnd,
  LeadershipOptions,
  LeaseName,
  LeaseOptions,
  LeaseStrategy,
} from './lease.js';
export {
  acquireLease,
  checkLease,
  checkLeaseOptions,
  HeldLease,
  holdLease,
  newOwnerId,
  releaseLease,
  renewLease,
  runWhileLeader,
  tryAcquireLease,
} from './lease.js';
export { memoryFollowStorage } from './memory/storage.js';
export type { PostgresFollowHandle } from './postgres/storage.js';
export { postgresFollowStorage } from './postgres/storage.js';
export type { SqliteFollowHandle } from './sqlite/storage.js';
export { sqliteFollowStorage } from './sqlite/storage.js';
export type { FollowStorage, FollowTx, LeaseRecord, SessionLock, SessionLocks } from './storage.js';
export { loadCheckpoint } from './storage.js';
export { followStorageOf } from './storage-of.js';
