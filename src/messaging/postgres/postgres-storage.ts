import type { PoolClient } from 'pg';
import { withTransaction } from '../../stores/postgres/kit.js';
import { checkConsumer, pruneInSteps, resolvePrune } from '../retention.js';
import type { PrunableInbox } from '../storage.js';
import { guard, namesOf, type PostgresHandle } from './handle.js';
import { ensureMessagingMigrations } from './migrations/index.js';
import { findInbox } from './sql/find-inbox.js';
import { insertInbox } from './sql/insert-inbox.js';
import { type InboxCursor, pruneInboxStep } from './sql/prune-inbox.js';

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
