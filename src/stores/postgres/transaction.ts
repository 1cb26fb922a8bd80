import type { Pool, PoolClient } from 'pg';
import { isConnectionError, translate } from './errors.js';

export interface TransactionOptions {
  /** The statement that opens the transaction (default 'BEGIN'), e.g. 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'. */
  begin?: string;
}

/**
 * A transaction open on a client checked out of the pool; ends once, by commit() or rollback(). A
 * connection that breaks while it is open does not crash the process: the next statement fails.
 */
export interface OpenTransaction {
  readonly client: PoolClient;
  /**
   * COMMIT, then gives the client back. A failed COMMIT rolls back and throws the translated driver
   * error (nothing was committed).
   */
  commit(): Promise<void>;
  /**
   * ROLLBACK, then gives the client back; never throws. `cause` is what went wrong, if anything: a
   * client whose connection broke (by it, or by a failed ROLLBACK) is destroyed instead of reused.
   */
  rollback(cause?: unknown): Promise<void>;
}

/** What a task of withTransaction can do besides returning or throwing. */
export interface TransactionControl {
  /** End with ROLLBACK instead of COMMIT once the task returns; withTransaction still returns its value. */
  rollbackOnly(): void;
}

/**
 * Checks a client out of `pool` (a failure is a retriable StoreUnavailableError naming `operation`)
 * and opens a transaction on it. For a transaction that outlives one call (a relay's claim, committed
 * after the broker confirmed); otherwise use withTransaction.
 */
export async function beginTransaction(
  pool: Pool,
  operation: string,
  options: TransactionOptions = {},
): Promise<OpenTransaction> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw translate(error, `connect to ${operation}`);
  }
  let ended = false;
  // A checked-out client has no error listener of the pool's: the connection breaking while the
  // transaction waits between statements would crash the process. Remember it instead; the next
  // statement fails, and the client is destroyed.
  let lost = false;
  const onError = () => {
    lost = true;
  };
  client.on('error', onError);
  const release = (destroy: boolean) => {
    client.removeListener('error', onError);
    client.release(destroy ? true : undefined);
  };
  const rollback = async (cause?: unknown): Promise<void> => {
    if (ended) return;
    ended = true;
    let broken = lost || isConnectionError(cause);
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    release(broken || lost);
  };
  const transaction: OpenTransaction = {
    client,
    async commit() {
      if (ended) return;
      try {
        await client.query('COMMIT');
      } catch (error) {
        await rollback(error);
        throw translate(error, operation);
      }
      ended = true;
      release(lost);
    },
    rollback,
  };
  try {
    await client.query(options.begin ?? 'BEGIN');
  } catch (error) {
    await rollback(error);
    throw translate(error, operation);
  }
  return transaction;
}

/**
 * The one way Factum runs a transaction on PostgreSQL: checks a client out, BEGIN (or
 * `options.begin`), `task`, COMMIT. On any error it rolls back and rethrows: driver errors
 * translated (a lost connection becomes a retriable StoreUnavailableError naming `operation`),
 * whatever else the task threw passed through unchanged. The client goes back to the pool, or is
 * destroyed when its connection broke or ROLLBACK failed. `control.rollbackOnly()` ends the
 * transaction with ROLLBACK without an error (a duplicate found, nothing to keep).
 */
export async function withTransaction<T>(
  pool: Pool,
  operation: string,
  task: (client: PoolClient, control: TransactionControl) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const transaction = await beginTransaction(pool, operation, options);
  let rollbackOnly = false;
  let value: T;
  try {
    value = await task(transaction.client, {
      rollbackOnly() {
        rollbackOnly = true;
      },
    });
  } catch (error) {
    await transaction.rollback(error);
    throw error instanceof Error ? translate(error, operation) : error;
  }
  if (rollbackOnly) await transaction.rollback();
  else await transaction.commit();
  return value;
}
