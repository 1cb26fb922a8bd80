import type { PoolClient } from 'pg';
import { ensureFollowMigrations } from '../../follow/postgres/migrations/index.js';
import { withTransaction } from '../../stores/postgres/kit.js';
import { checkConsumer, pruneInSteps, resolvePrune } from '../retention.js';
import type { CheckpointStore, LeaseStore, PrunableInbox } from '../storage.js';
import { guard, namesOf, type PostgresHandle } from './handle.js';
import { ensureMessagingMigrations } from './migrations/index.js';
import { acquireLease } from './sql/acquire-lease.js';
import { findInbox } from './sql/find-inbox.js';
import { insertInbox } from './sql/insert-inbox.js';
import { loadCheckpoint } from './sql/load-checkpoint.js';
import { type InboxCursor, pruneInboxStep } from './sql/prune-inbox.js';
import { type LeaseRow, readLease } from './sql/read-lease.js';
import { releaseLease } from './sql/release-lease.js';
import { saveCheckpoint } from './sql/save-checkpoint.js';

/** Relay checkpoints in `<schema>.factum_checkpoints` (PostgreSQL migration 0010). */
export function postgresCheckpoints(handle: PostgresHandle): CheckpointStore {
  const names = namesOf(handle);
  return {
    async load(name) {
      await ensureFollowMigrations(handle);
      return guard(`load checkpoint ${name}`, () => loadCheckpoint(handle.pool, names, name));
    },
    async save(name, position) {
      await ensureFollowMigrations(handle);
      return guard(`save checkpoint ${name} at ${position}`, () =>
        saveCheckpoint(handle.pool, names, name, position),
      );
    },
  };
}

export interface PostgresLeaseStore extends LeaseStore {
  /** The lease row of `name`: its owner, fencing token and expiry (database clock). */
  holder(name: string): Promise<LeaseRow | undefined>;
}

/**
 * Leases as rows of `<schema>.factum_leases` (migration 0011): one statement per take/renew, expiry on
 * the database clock, a fencing token that grows at each change of owner. Holds no connection between
 * calls, so it works behind PgBouncer in transaction pooling mode.
 */
export function postgresLeases(handle: PostgresHandle): PostgresLeaseStore {
  const names = namesOf(handle);
  return {
    async tryAcquire(name, owner, ttlMs) {
      await ensureFollowMigrations(handle);
      const fence = await guard(`take lease ${name} for ${owner}`, () =>
        acquireLease(handle.pool, names, name, owner, ttlMs),
      );
      return fence !== undefined;
    },
    async release(name, owner) {
      await ensureFollowMigrations(handle);
      return guard(`release lease ${name} of ${owner}`, () => releaseLease(handle.pool, names, name, owner));
    },
    async holder(name) {
      await ensureFollowMigrations(handle);
      return guard(`read lease ${name}`, () => readLease(handle.pool, names, name));
    },
  };
}

/**
 * The inbox in `<schema>.factum_inbox` (migration 0013). `process` checks a client out of the pool,
 * opens a transaction, records (consumer, event id) and runs `work` with that client: the handler's
 * writes and the inbox row commit together, or neither does. A pair already recorded (a redelivery)
 * rolls back at once and returns 'duplicate' without running `work`; two deliveries of one event at
 * the same time wait for each other on the primary key, and only one runs `work`.
 */
export function postgresInbox(handle: PostgresHandle): PrunableInbox<PoolClient> {
  const names = namesOf(handle);
  return {
    async process(consumer, event, work) {
      await ensureMessagingMigrations(handle);
      return withTransaction(
        handle.pool,
        `process ${event.id} in the inbox of ${consumer}`,
        async (client, tx) => {
          if (!(await insertInbox(client, names, consumer, event.id))) {
            tx.rollbackOnly();
            return 'duplicate' as const;
          }
          await work(client);
          return 'processed' as const;
        },
      );
    },
    async has(consumer, eventId) {
      await ensureMessagingMigrations(handle);
      return guard(`find ${eventId} in the inbox of ${consumer}`, () =>
        findInbox(handle.pool, names, consumer, eventId),
      );
    },
    async prune(options) {
      const { cutoff, batchSize } = resolvePrune(options);
      const consumer = checkConsumer(options.consumer);
      await ensureMessagingMigrations(handle);
      const before = new Date(cutoff);
      return pruneInSteps<InboxCursor>(
        'start',
        (cursor) =>
          guard(`prune the inbox${consumer === undefined ? '' : ` of ${consumer}`}`, () =>
            pruneInboxStep(handle.pool, names, consumer, cursor, batchSize, before),
          ),
        options.signal,
      );
    },
  };
}
