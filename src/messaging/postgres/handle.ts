import { DEFAULT_SCHEMA, type PostgresHandle, schemaNames, translate } from '../../stores/postgres/kit.js';
import { type MessagingNames, messagingNames } from './sql/tables.js';

/**
 * Where the PostgreSQL messaging tables are: a pool and the schema holding Factum's tables (default
 * 'factum'). A PostgresEventStore is one (it has `pool` and `schema`).
 */
export type { PostgresHandle } from '../../stores/postgres/kit.js';

export function namesOf(handle: PostgresHandle): MessagingNames {
  return messagingNames(schemaNames(handle.schema ?? DEFAULT_SCHEMA));
}

/** Runs `fn`, turning driver errors into Factum errors that name `operation`. */
export async function guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translate(error, operation);
  }
}
