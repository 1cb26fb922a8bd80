/**
 * What the layers above the SQLite store (projections, messaging, follow…) use of it, and all they
 * may import from it besides its public entry (index.ts): driver error translation, the write
 * transaction of a bare connection, the store's type guard, and the registry through which each
 * area owns its migrations.
 */
export type { MigrationArea, MigrationVersions } from '../migration-registry.js';
export { MIGRATION_NUMBERS } from '../migration-registry.js';
export type { SqliteHandle } from './area-migrations.js';
export { databaseOf, ensureMigrations, registerMigrations } from './area-migrations.js';
export { translate } from './errors.js';
export type { Migration as SqliteMigration } from './migrations/index.js';
export { EVENT_COLUMNS, type EventRow, toStoredEvent } from './sql/event-row.js';
export { readAllQuery } from './sql/read-all.js';
export type { SqliteAppendHook, SqliteEventStore } from './sqlite-store.js';
export { forgetStatements, statement } from './statement.js';
export { isSqliteStore } from './store-guard.js';
export type { WriteTransactionControl } from './transaction.js';
export { writeTransaction } from './transaction.js';
