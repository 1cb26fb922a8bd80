import type { PoolClient } from 'pg';
import { checkConsumer, pruneInSteps, resolvePrune } from '../retention.js';
import type { CheckpointStore, LeaseStore, PrunableInbox } from '../storage.js';
import { connect, guard, namesOf, type PostgresHandle, rollbackAndRelease } from './handle.js';
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
    load(name) {
      return guard(`load checkpoint ${name}`, () => loadCheckpoint(handle.pool, names, name));
    },
    save(name, position) {
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
      const fence = await guard(`take lease ${name} for ${owner}`, () =>
        acquireLease(handle.pool, names, name, owner, ttlMs),
      );
      return fence !== undefined;
    },
    release(name, owner) {
      return guard(`release lease ${name} of ${owner}`, () => releaseLease(handle.pool, names, name, owner));
    },
    holder(name) {
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
      const client = await connect(handle.pool, `process ${event.id} for ${consumer}`);
      try {
        await guard(`begin the inbox transaction of ${consumer}`, () => client.query('BEGIN'));
        const fresh = await guard(`record ${event.id} in the inbox of ${consumer}`, () =>
          insertInbox(client, names, consumer, event.id),
        );
        if (!fresh) {
          await rollbackAndRelease(client);
          return 'duplicate';
        }
        await work(client);
        await guard(`commit ${event.id} in the inbox of ${consumer}`, () => client.query('COMMIT'));
      } catch (error) {
        await rollbackAndRelease(client, error);
        throw error;
      }
      client.release();
      return 'processed';
    },
    has(consumer, eventId) {
      return guard(`find ${eventId} in the inbox of ${consumer}`, () =>
        findInbox(handle.pool, names, consumer, eventId),
      );
    },
    async prune(options) {
      const { cutoff, batchSize } = resolvePrune(options);
      const consumer = checkConsumer(options.consumer);
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
