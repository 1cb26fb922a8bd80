import type { Pool, PoolClient } from 'pg';
import { translate } from '../../stores/postgres/errors.js';
import { type SchemaNames, schemaNames } from '../../stores/postgres/schema.js';

/**
 * Where the PostgreSQL messaging tables are: a pool and the schema holding Factum's tables (default
 * 'factum'). A PostgresEventStore is one (it has `pool` and `schema`).
 */
export interface PostgresHandle {
  readonly pool: Pool;
  readonly schema?: string;
}

export function namesOf(handle: PostgresHandle): SchemaNames {
  return schemaNames(handle.schema ?? 'factum');
}

/** Runs `fn`, turning driver errors into Factum errors that name `operation`. */
export async function guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translate(error, operation);
  }
}

/** Checks a client out of the pool; a failure is a retriable StoreUnavailableError. */
export async function connect(pool: Pool, operation: string): Promise<PoolClient> {
  return guard(`connect to ${operation}`, () => pool.connect());
}

/** Ends the client's transaction with ROLLBACK; a client that cannot is destroyed instead of reused. */
export async function rollbackAndRelease(client: PoolClient, cause?: unknown): Promise<void> {
  try {
    await client.query('ROLLBACK');
    client.release(cause instanceof Error && isBroken(cause) ? cause : undefined);
  } catch (error) {
    client.release(error instanceof Error ? error : true);
  }
}

function isBroken(error: Error): boolean {
  return /Connection terminated|not queryable|connection error/i.test(error.message);
}
