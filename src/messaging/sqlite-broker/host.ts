import type Database from 'better-sqlite3';
import type { Emitter } from '../../core/emitter.js';
import { BrokerUnavailableError, ErrorCodes, isFactumError } from '../../core/errors.js';
import { type SqliteEventStore, writeTransaction } from '../../stores/sqlite/kit.js';
import type { BrokerEvents } from '../broker.js';

/** What a consumer needs of its broker: the connection's transactions, names, timings, the emitter. */
export interface SqliteBrokerHost {
  readonly namespace: string;
  readonly pollMs: number;
  readonly leaseMs: number;
  readonly wakeKey: string;
  readonly emitter: Emitter<BrokerEvents>;
  /** One write transaction; `durable: false` for claims, acknowledgements and leases. */
  write<T>(operation: string, task: (db: Database.Database) => T, durable?: boolean): Promise<T>;
  read<T>(operation: string, task: (db: Database.Database) => T): Promise<T>;
  forget(consumer: unknown): void;
}

/**
 * A host on a SQLite event store's connection. Every task of the broker is synchronous: while no
 * transaction is open on the connection it runs in a write transaction that begins and commits in
 * the same tick (so another connection of this process never waits on a lock held across an await);
 * while the store's own transaction is open, it waits its turn through `store.transaction`, and
 * called from inside that transaction it joins it (a publish then commits or rolls back with it).
 * Non-durable writes commit with synchronous=NORMAL (losing one on power loss only redelivers).
 */
export function storeAccess(store: SqliteEventStore): Pick<SqliteBrokerHost, 'write' | 'read'> {
  const db = store.database;
  const full = Number(db.pragma('synchronous', { simple: true })) >= 2;
  const relaxed = db.prepare('PRAGMA synchronous = NORMAL');
  const strict = db.prepare('PRAGMA synchronous = FULL');
  return {
    async write(operation, task, durable = true) {
      try {
        if (db.inTransaction) {
          try {
            return await store.transaction((tx) => task(tx), { durable });
          } catch (error) {
            // Called inside the store's own transaction (an inbox handler, say): join it.
            if (isFactumError(error, ErrorCodes.NESTED_TRANSACTION) && db.inTransaction) return task(db);
            throw error;
          }
        }
        const relax = !durable && full;
        if (relax) relaxed.run();
        try {
          return await writeTransaction(db, operation, (tx) => task(tx));
        } finally {
          if (relax) strict.run();
        }
      } catch (error) {
        throw unavailable(operation, error);
      }
    },
    async read(operation, task) {
      try {
        return await store.readSync(task);
      } catch (error) {
        throw unavailable(operation, error);
      }
    },
  };
}

/** A busy or failing database as the broker's retriable BrokerUnavailableError; other errors as they are. */
function unavailable(operation: string, error: unknown): unknown {
  if (isFactumError(error, ErrorCodes.STORE_UNAVAILABLE) || isFactumError(error, ErrorCodes.STORE_CLOSED)) {
    return new BrokerUnavailableError(
      `The SQLite broker could not ${operation}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return error;
}
