import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../core/errors.js';
import { translate } from './errors.js';

/** What a task of writeTransaction can do besides returning or throwing. */
export interface WriteTransactionControl {
  /** End with ROLLBACK instead of COMMIT once the task returns; writeTransaction still returns its value. */
  rollbackOnly(): void;
}

/**
 * Runs `task` in one write transaction (BEGIN IMMEDIATE) on a bare better-sqlite3 connection, and
 * commits, or rolls back when it throws or calls `control.rollbackOnly()`. Refused with a retriable
 * StoreUnavailableError while a transaction is already open on the connection (the statements would
 * join it instead of committing on their own). Driver errors are translated; whatever else the task
 * throws passes through unchanged. A task that returns at once commits in the same tick; one that
 * awaits holds the write lock meanwhile, and anything else run on the connection then joins it (so
 * give such a task a connection of its own). On a SqliteEventStore use its `transaction` instead,
 * which waits its turn.
 */
export async function writeTransaction<T>(
  db: Database.Database,
  operation: string,
  task: (db: Database.Database, control: WriteTransactionControl) => T | Promise<T>,
): Promise<T> {
  if (db.inTransaction) {
    throw new StoreUnavailableError(
      `SQLite could not ${operation}: a transaction is open on this connection; try again once it ended`,
    );
  }
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    throw translate(error, operation);
  }
  let rollbackOnly = false;
  try {
    const result = task(db, {
      rollbackOnly() {
        rollbackOnly = true;
      },
    });
    const value = result instanceof Promise ? await result : result;
    db.exec(rollbackOnly ? 'ROLLBACK' : 'COMMIT');
    return value;
  } catch (error) {
    if (db.inTransaction) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // SQLite rolled back already (after an I/O error or a full disk, say).
      }
    }
    throw error instanceof Error ? translate(error, operation) : error;
  }
}
