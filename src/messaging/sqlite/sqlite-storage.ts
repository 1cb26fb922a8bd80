import type Database from 'better-sqlite3';
import type { StoredEvent } from '../../core/envelope.js';
import { ErrorCodes, StoreUnavailableError, ValidationError } from '../../core/errors.js';
import { prepareAppend } from '../../core/validation.js';
import type { CheckpointStore, Inbox, LeaseStore, RelayBatch, RelaySource } from '../storage.js';
import { prepareAcquireLease } from './sql/acquire-lease.js';
import { prepareFindInbox } from './sql/find-inbox.js';
import { prepareInsertInbox } from './sql/insert-inbox.js';
import { prepareInsertOutbox } from './sql/insert-outbox.js';
import { prepareLoadCheckpoint } from './sql/load-checkpoint.js';
import { prepareMarkOutboxPublished } from './sql/mark-outbox-published.js';
import { prepareNextOutboxVersion } from './sql/next-outbox-version.js';
import { prepareReadOutbox } from './sql/read-outbox.js';
import { prepareReleaseLease } from './sql/release-lease.js';
import { prepareSaveCheckpoint } from './sql/save-checkpoint.js';

/** A better-sqlite3 connection, or anything that has one (a SqliteEventStore). */
export type SqliteHandle = Database.Database | { readonly database: Database.Database };

function dbOf(handle: SqliteHandle): Database.Database {
  return 'database' in handle ? handle.database : handle;
}

/** Relay checkpoints in `factum_checkpoints` (migration 0010). */
export function sqliteCheckpoints(handle: SqliteHandle): CheckpointStore {
  const db = dbOf(handle);
  const load = prepareLoadCheckpoint(db);
  const save = prepareSaveCheckpoint(db);
  return {
    async load(name) {
      return guard(`load checkpoint ${name}`, () => load.get(name)?.position ?? 0n);
    },
    async save(name, position) {
      guard(`save checkpoint ${name} at ${position}`, () => save.run(name, position, Date.now()));
    },
  };
}

/** Leases in `factum_leases` (migration 0011): one holder per name across processes sharing the file. */
export function sqliteLeases(handle: SqliteHandle): LeaseStore {
  const db = dbOf(handle);
  const acquire = prepareAcquireLease(db);
  const release = prepareReleaseLease(db);
  return {
    async tryAcquire(name, owner, ttlMs) {
      const now = Date.now();
      return guard(
        `take lease ${name}`,
        () => acquire.run({ name, owner, expiresAt: now + ttlMs, now }).changes > 0,
      );
    },
    async release(name, owner) {
      guard(`release lease ${name}`, () => release.run(name, owner));
    },
  };
}

/** A message for the outbox: an event of `streamId` (its category and version are derived). */
export interface OutboxMessage {
  streamId: string;
  type: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /** A UUID; defaults to a new UUIDv7. */
  id?: string;
  schemaVersion?: number;
}

export interface SqliteOutbox {
  /**
   * Writes `message` to the outbox inside the caller's open transaction on `tx` (the same connection
   * as the business rows): both commit or neither does. Throws if no transaction is open.
   */
  enqueue(tx: Database.Database, message: OutboxMessage): { id: string; position: bigint };
  /** The relay source that drains unpublished rows in order and marks them published after the confirm. */
  source(name?: string): RelaySource;
}

/** The transactional outbox in `factum_outbox` (migration 0012). */
export function sqliteOutbox(handle: SqliteHandle): SqliteOutbox {
  const db = dbOf(handle);
  const nextVersion = prepareNextOutboxVersion(db);
  const insert = prepareInsertOutbox(db);
  const read = prepareReadOutbox(db);
  const mark = prepareMarkOutboxPublished(db);
  return {
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
      let cursor = 0n;
      return {
        name,
        reset() {
          cursor = 0n;
        },
        async next(limit): Promise<RelayBatch> {
          const rows = guard('read the outbox', () => read.all(cursor, limit));
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
          const last = events.at(-1)?.position;
          if (last !== undefined) cursor = last;
          return {
            events,
            async commit() {
              if (last !== undefined) guard('mark outbox rows published', () => mark.run(Date.now(), last));
            },
          };
        },
      };
    },
  };
}

/**
 * The inbox in `factum_inbox` (migration 0013). `work` gets the connection inside an open
 * `BEGIN IMMEDIATE` transaction that also records (consumer, event id); calls are serialised per inbox.
 * Use a connection of its own (not the one a store appends on), since any statement run on it while
 * `work` awaits joins the transaction.
 */
export function sqliteInbox(handle: SqliteHandle): Inbox<Database.Database> {
  const db = dbOf(handle);
  const insert = prepareInsertInbox(db);
  const find = prepareFindInbox(db);
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };
  return {
    process(consumer, event, work) {
      return serialised(async () => {
        if (db.inTransaction) {
          throw new ValidationError(
            ErrorCodes.INVALID_ARGUMENT,
            'tx',
            `inbox.process(${consumer}, ${event.id}): a transaction is already open on this connection`,
          );
        }
        guard('begin the inbox transaction', () => db.exec('BEGIN IMMEDIATE'));
        try {
          if (insert.run(consumer, event.id, Date.now()).changes === 0) {
            db.exec('ROLLBACK');
            return 'duplicate';
          }
          await work(db);
          db.exec('COMMIT');
          return 'processed';
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      });
    },
    async has(consumer, eventId) {
      return find.get(consumer, eventId) !== undefined;
    },
  };
}

function guard<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_IOERR') {
      throw new StoreUnavailableError(`SQLite could not ${operation}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
