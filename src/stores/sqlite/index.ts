import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { MissingDriverError } from '../../core/errors.js';
import { createSqliteStoreWith, type SqliteEventStore, type SqliteStoreOptions } from './sqlite-store.js';

export type { Migration } from './migrations/index.js';
export { migrate, migrations } from './migrations/index.js';
export type { SqliteEventStore, SqliteStoreOptions } from './sqlite-store.js';

const require = createRequire(import.meta.url);

/**
 * A durable event store in one SQLite file (WAL, synchronous=FULL by default), or ':memory:'.
 * Needs the optional peer dependency better-sqlite3 (major 12).
 */
export function createSqliteStore(filename: string, options: SqliteStoreOptions = {}): SqliteEventStore {
  let Driver: typeof Database;
  try {
    Driver = require('better-sqlite3') as typeof Database;
  } catch (cause) {
    throw new MissingDriverError('better-sqlite3', cause);
  }
  return createSqliteStoreWith(Driver, filename, options);
}
