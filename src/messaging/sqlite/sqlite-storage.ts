import type Database from 'better-sqlite3';
import type { StoredEvent } from '../../core/envelope.js';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import { prepareAppend } from '../../core/validation.js';
import { sqliteFollowStorage } from '../../follow/index.js';
import {
  databaseOf,
  type SqliteHandle,
  statement,
  translate,
  writeTransaction,
} from '../../stores/sqlite/kit.js';
import {
  checkConsumer,
  type InboxPruneOptions,
  type PruneOptions,
  pruneInSteps,
  resolvePrune,
} from '../retention.js';
import type { OutboxMessage, PrunableInbox, RelaySource } from '../storage.js';
import { ensureMessagingMigrations } from './migrations/index.js';
import { prepareFindInbox } from './sql/find-inbox.js';
import { prepareInsertInbox } from './sql/insert-inbox.js';
import { prepareInsertOutbox } from './sql/insert-outbox.js';
import { prepareMarkOutboxPublished } from './sql/mark-outbox-published.js';
import { prepareNextOutboxVersion } from './sql/next-outbox-version.js';
import { type InboxCursor, prepareInboxPrune } from './sql/prune-inbox.js';
import { prepareOutboxWindow, preparePruneOutbox } from './sql/prune-outbox.js';
import { prepareReadOutbox } from './sql/read-outbox.js';

/** A better-sqlite3 connection, or anything that has one (a SqliteEventStore). */
export type { SqliteHandle } from '../../stores/sqlite/kit.js';
export type { OutboxMessage } from '../storage.js';

const dbOf = databaseOf;

type Writer = <T>(operation: string, write: () => T) => Promise<T>;

/**
 * How to write on the handle's connection. A SqliteEventStore serialises the work on its connection
 * (projections hold transactions open across awaits on it): a write waits for its turn instead of
 * joining someone else's open transaction. A bare connection is written at once.
 */
function writerOf(handle: SqliteHandle): Writer {
  const store = handle as { transaction?: (task: () => unknown) => Promise<unknown> };
  if ('database' in handle && typeof store.transaction === 'function') {
    const transaction = store.transaction.bind(handle) as <T>(task: () => T) => Promise<T>;
    return (operation, write) => transaction(() => guard(operation, write));
  }
  return async (operation, write) => guard(operation, write);
}

/**
 * How to run one write transaction (BEGIN IMMEDIATE) on the handle's connection: the store's own
 * `transaction` (serialised with its appends and projections), or, on a bare connection, a
 * better-sqlite3 transaction, refused while someone else's transaction is open on it (statements
 * would join that transaction instead of committing on their own).
 */
function transactionOf(handle: SqliteHandle): Writer {
  const db = dbOf(handle);
  const store = handle as { transaction?: (task: () => unknown) => Promise<unknown> };
  if ('database' in handle && typeof store.transaction === 'function') return writerOf(handle);
  return (operation, write) => writeTransaction(db, operation, write);
}

export interface SqliteOutbox {
  /**
   * Writes `message` to the outbox inside the caller's open transaction on `tx` (the same connection
   * as the business rows): both commit or neither does. Throws if no transaction is open.
   */
  enqueue(tx: Database.Database, message: OutboxMessage): { id: string; position: bigint };
  /**
   * The relay source that drains unpublished rows in order and marks them published after the
   * confirm. It can prune (`source.prune`), which the relay's background retention uses.
   */
  source(name?: string): RelaySource;
  /**
   * Deletes rows published before `olderThan`, `batchSize` rows looked at per transaction (default
   * 1,000); never an unpublished row, and never a stream's newest row (the next message of the
   * stream continues its version). Resolves with the number of rows deleted.
   */
  prune(options: PruneOptions): Promise<number>;
  /** Rows not published yet: how far the relay is behind the writers. */
  pending(): Promise<number>;
}

/** The transactional outbox in `factum_outbox` (migration 0012). */
export function sqliteOutbox(handle: SqliteHandle): SqliteOutbox {
  ensureMessagingMigrations(handle);
  const db = dbOf(handle);
  const nextVersion = prepareNextOutboxVersion(db);
  const insert = prepareInsertOutbox(db);
  const read = prepareReadOutbox(db);
  const mark = prepareMarkOutboxPublished(db);
  const inTransaction = transactionOf(handle);
  let pruneStatements:
    | { window: ReturnType<typeof prepareOutboxWindow>; prune: ReturnType<typeof preparePruneOutbox> }
    | undefined;
  const prune = async (options: PruneOptions): Promise<number> => {
    const { cutoff, batchSize } = resolvePrune(options);
    pruneStatements ??= { window: prepareOutboxWindow(db), prune: preparePruneOutbox(db) };
    const { window, prune: remove } = pruneStatements;
    return pruneInSteps(
      0n,
      (after) =>
        inTransaction(`prune the outbox after position ${after}`, () => {
          const w = window.get({ after, limit: batchSize, cutoff });
          if (w === undefined || w.last === null) return { deleted: 0, next: undefined };
          const deleted = remove.run({ after, last: w.last, cutoff }).changes;
          const full = Number(w.n) === batchSize && Number(w.reached ?? 0) === 0;
          return { deleted, next: full ? w.last : undefined };
        }),
      options.signal,
    );
  };
  return {
    prune,
    async pending() {
      return statement(db, 'SELECT count(*) FROM factum_outbox WHERE published_at IS NULL')
        .pluck(true)
        .get() as number;
    },
    enqueue(tx, message) {
      if (tx !== db) {
        throw new ValidationError(
          ErrorCodes.INVALID_ARGUMENT,
          'tx',
          'outbox.enqueue needs the connection the outbox was created on',
        );
      }
      if (!tx.inTransaction) {
        throw new ValidationError(
          ErrorCodes.INVALID_ARGUMENT,
          'tx',
          `outbox.enqueue(${message.type} for ${message.streamId}) must run inside the caller's transaction`,
        );
      }
      const prepared = prepareAppend(message.streamId, [message], {});
      const event = prepared.events[0]!;
      const version = nextVersion.get(prepared.streamId)?.v ?? 1;
      const info = insert.run(
        event.id,
        prepared.streamId,
        version,
        prepared.category,
        event.type,
        event.schemaVersion,
        event.data,
        event.metadata,
        Date.now(),
      );
      return { id: event.id, position: BigInt(info.lastInsertRowid) };
    },
    source(name = 'outbox') {
      const storage = sqliteFollowStorage(handle);
      return {
        name,
        storage,
        prune,
        // Every holding starts from the first unpublished row: the rows know what was published.
        start: async () => 0n,
        commit: (page, lease) =>
          storage.transaction(async (tx) => {
            await lease.check(tx);
            if (page.events.length > 0)
              guard('mark outbox rows published', () => mark.run(Date.now(), page.last));
          }, lease.scope),
        pages: {
          async read(after, limit) {
            const rows = guard('read the outbox', () => read.all(after, limit));
            const events: StoredEvent[] = rows.map((r) => ({
              position: r[0],
              id: r[1],
              streamId: r[2],
              version: Number(r[3]),
              category: r[4],
              type: r[5],
              schemaVersion: Number(r[6]),
              data: JSON.parse(r[7]) as unknown,
              metadata: JSON.parse(r[8]) as Record<string, unknown>,
              timestamp: new Date(Number(r[9])),
            }));
            return { events, last: events.at(-1)?.position ?? after };
          },
        },
      };
    },
  };
}

/**
 * The inbox in `factum_inbox` (migration 0013). `work` gets the connection inside an open
 * `BEGIN IMMEDIATE` transaction that also records (consumer, event id); calls are serialised per inbox.
 * Given a SqliteEventStore, the transaction is the store's own (`store.transaction`), which keeps the
 * store's appends and projections out of it while `work` awaits. Given a bare connection, use one of
 * its own (not the one a store appends on), since any statement run on it while `work` awaits joins
 * the transaction.
 */
export function sqliteInbox(handle: SqliteHandle): PrunableInbox<Database.Database> {
  ensureMessagingMigrations(handle);
  const db = dbOf(handle);
  const inTransaction = transactionOf(handle);
  const insert = prepareInsertInbox(db);
  const find = prepareFindInbox(db);
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };
  const store = handle as { transaction?: unknown };
  const storeTransaction =
    'database' in handle && typeof store.transaction === 'function'
      ? (store.transaction.bind(handle) as <T>(task: (tx: Database.Database) => Promise<T>) => Promise<T>)
      : undefined;
  return {
    process(consumer, event, work) {
      if (storeTransaction !== undefined) {
        return serialised(() =>
          storeTransaction(async (tx) => {
            if (insert.run(consumer, event.id, Date.now()).changes === 0) return 'duplicate' as const;
            await work(tx);
            return 'processed' as const;
          }),
        );
      }
      return serialised(async () => {
        if (db.inTransaction) {
          throw new ValidationError(
            ErrorCodes.INVALID_ARGUMENT,
            'tx',
            `inbox.process(${consumer}, ${event.id}): a transaction is already open on this connection`,
          );
        }
        return writeTransaction(
          db,
          `process ${event.id} in the inbox of ${consumer}`,
          async (tx, control) => {
            if (insert.run(consumer, event.id, Date.now()).changes === 0) {
              control.rollbackOnly();
              return 'duplicate' as const;
            }
            await work(tx);
            return 'processed' as const;
          },
        );
      });
    },
    async has(consumer, eventId) {
      return find.get(consumer, eventId) !== undefined;
    },
    async prune(options: InboxPruneOptions) {
      const { cutoff, batchSize } = resolvePrune(options);
      const statements = prepareInboxPrune(db, checkConsumer(options.consumer));
      // Each batch waits for the inbox's turn: never inside a transaction `process` holds open.
      return pruneInSteps<InboxCursor>(
        'start',
        (cursor) =>
          serialised(() =>
            inTransaction('prune the inbox', () => {
              const last = statements.bound(cursor, batchSize - 1);
              const deleted = statements.prune(cursor, last, cutoff);
              return { deleted, next: last };
            }),
          ),
        options.signal,
      );
    },
  };
}

/** Runs `fn`, turning driver errors into Factum errors that name `operation`. */
function guard<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw translate(error, operation);
  }
}
