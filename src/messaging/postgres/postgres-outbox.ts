import type { ClientBase } from 'pg';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import { prepareAppend } from '../../core/validation.js';
import type { FollowSource, HeldLease } from '../../follow/index.js';
import { postgresFollowStorage } from '../../follow/index.js';
import { checkLeaseOn } from '../../follow/kit.js';
import { beginTransaction, type OpenTransaction } from '../../stores/postgres/kit.js';
import { type PruneOptions, pruneInSteps, resolvePrune } from '../retention.js';
import type { OutboxMessage, RelayPage, RelaySource } from '../storage.js';
import { guard, namesOf, type PostgresHandle } from './handle.js';
import { ensureMessagingMigrations } from './migrations/index.js';
import { claimOutbox } from './sql/claim-outbox.js';
import { insertOutbox } from './sql/insert-outbox.js';
import { lockOutboxStream } from './sql/lock-outbox-stream.js';
import { markOutboxPublished } from './sql/mark-outbox-published.js';
import { outboxBlockers } from './sql/outbox-blockers.js';
import { pruneOutboxStep } from './sql/prune-outbox.js';

export interface PostgresOutbox {
  /**
   * Writes `message` to the outbox with `tx`, the caller's own client inside ITS open transaction
   * (BEGIN … COMMIT around the business rows): both commit or neither does. Throws if `tx` is not in
   * a transaction. Writers of one stream wait for each other until commit, so a stream's versions
   * and positions follow its commit order.
   */
  enqueue(tx: ClientBase, message: OutboxMessage): Promise<{ id: string; position: bigint }>;
  /**
   * A relay source that claims unpublished rows with `FOR UPDATE SKIP LOCKED` in a transaction of its
   * own and marks them published in that transaction once the broker confirmed them. Relays with
   * different source names share the work: a row claimed by one is skipped by the others, and a row
   * whose stream has an earlier row claimed elsewhere waits, so per-stream order holds. It can
   * prune (`source.prune`), which the relay's background retention uses.
   */
  source(name?: string): RelaySource;
  /**
   * Deletes rows published before `olderThan`, one statement (one short transaction) per
   * `batchSize` rows looked at (default 1,000); never an unpublished row, claimed or not, and never a
   * stream's newest row (the next message of the stream continues its version). Unnamed statements
   * on pooled connections only, so it works behind PgBouncer. Resolves with the rows deleted.
   */
  prune(options: PruneOptions): Promise<number>;
  /** Rows not published yet: how far the relays are behind the writers. */
  pending(): Promise<number>;
}

/** The transactional outbox in `<schema>.factum_outbox` (PostgreSQL migration 0012). */
export function postgresOutbox(handle: PostgresHandle): PostgresOutbox {
  const names = namesOf(handle);
  const prune = async (options: PruneOptions): Promise<number> => {
    const { cutoff, batchSize } = resolvePrune(options);
    const before = new Date(cutoff);
    await ensureMessagingMigrations(handle);
    return pruneInSteps(
      0n,
      (after) =>
        guard(`prune the outbox after position ${after}`, () =>
          pruneOutboxStep(handle.pool, names, after, batchSize, before),
        ),
      options.signal,
    );
  };
  return {
    prune,
    async pending() {
      await ensureMessagingMigrations(handle);
      return guard('count the unpublished outbox rows', async () => {
        const { rows } = await handle.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${names.outbox} WHERE published_at IS NULL`,
        );
        return Number(rows[0]?.n ?? 0);
      });
    },
    async enqueue(tx, message) {
      const status = (tx as { getTransactionStatus?: () => string | null }).getTransactionStatus?.();
      if (status !== undefined && status !== 'T') {
        throw new ValidationError(
          ErrorCodes.INVALID_ARGUMENT,
          'tx',
          `outbox.enqueue(${String(message.type)} for ${String(message.streamId)}) must run inside the caller's open transaction (BEGIN first; transaction status ${String(status)})`,
        );
      }
      const prepared = prepareAppend(message.streamId, [message], {});
      const event = prepared.events[0]!;
      await ensureMessagingMigrations(handle);
      return guard(`enqueue ${event.type} for ${prepared.streamId}`, async () => {
        await lockOutboxStream(tx, names, prepared.streamId);
        const position = await insertOutbox(tx, names, prepared.streamId, prepared.category, event);
        return { id: event.id, position };
      });
    },
    source(name = 'outbox') {
      const storage = postgresFollowStorage(handle);
      // Positions this source claimed and has not committed yet (batches in flight, published in order).
      const inFlight = new Set<bigint>();
      const open = new Set<OpenTransaction>();
      const claims = new WeakMap<RelayPage, { tx: OpenTransaction; positions: readonly bigint[] }>();
      const finish = async (
        tx: OpenTransaction,
        positions: readonly bigint[],
        commit: boolean,
        lease?: HeldLease,
      ) => {
        if (!open.delete(tx)) return;
        for (const p of positions) inFlight.delete(p);
        if (!commit) {
          await tx.rollback();
          return;
        }
        try {
          await guard('mark outbox rows published', async () => {
            // Fencing: the lease row is locked (FOR SHARE) until COMMIT, so a takeover waits for it.
            if (lease !== undefined) await checkLeaseOn(tx.client, handle, lease.record);
            if (positions.length > 0) await markOutboxPublished(tx.client, names, positions);
          });
        } catch (error) {
          // The claim is gone with the transaction; the rows come again (published at least once).
          await tx.rollback(error);
          throw error;
        }
        await tx.commit();
      };
      const pages: FollowSource<RelayPage> = {
        release: (page) => page.release?.() ?? Promise.resolve(),
        async read(_after, limit): Promise<RelayPage> {
          await ensureMessagingMigrations(handle);
          const tx = await beginTransaction(handle.pool, `claim outbox rows for ${name}`);
          const client = tx.client;
          open.add(tx);
          try {
            const claimed = await guard(`claim outbox rows for ${name}`, () =>
              claimOutbox(client, names, limit),
            );
            let events = claimed;
            if (claimed.length > 0) {
              const own = [...inFlight, ...claimed.map((e) => e.position)];
              const streams = [...new Set(claimed.map((e) => e.streamId))];
              const blockers = await guard(`check the order of outbox rows for ${name}`, () =>
                outboxBlockers(client, names, streams, own),
              );
              // Rows behind a row of the same stream claimed elsewhere stay locked here until this
              // transaction ends, unpublished, and are claimed again later.
              events = claimed.filter((e) => {
                const blocker = blockers.get(e.streamId);
                return blocker === undefined || e.position < blocker;
              });
            }
            if (events.length === 0) {
              await finish(tx, [], true);
              return { events, last: 0n };
            }
            const positions = events.map((e) => e.position);
            for (const p of positions) inFlight.add(p);
            const page: RelayPage = {
              events,
              last: positions.at(-1)!,
              release: () => finish(tx, positions, false),
            };
            claims.set(page, { tx, positions });
            return page;
          } catch (error) {
            if (open.has(tx)) {
              open.delete(tx);
              await tx.rollback(error);
            }
            throw error;
          }
        },
      };
      return {
        name,
        storage,
        prune,
        pages,
        // Claims decide what comes next: every holding starts from the unpublished rows.
        start: async () => 0n,
        async commit(page, lease) {
          const claim = claims.get(page);
          if (claim === undefined) return;
          await finish(claim.tx, claim.positions, true, lease);
        },
        reset() {
          // Claims still open are given back (their rows come again).
          inFlight.clear();
          for (const tx of [...open]) {
            open.delete(tx);
            void tx.rollback();
          }
        },
      };
    },
  };
}
