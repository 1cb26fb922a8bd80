import type { PoolClient } from 'pg';
import { checkConsumer, pruneInSteps, resolvePrune } from '../retention.js';
import type { PrunableInbox } from '../storage.js';
import { connect, guard, namesOf, type PostgresHandle, rollbackAndRelease } from './handle.js';
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
