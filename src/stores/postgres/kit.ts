/**
 * What the layers above the PostgreSQL store (projections, messaging, follow…) use of it, and all
 * they may import from it besides its public entry (index.ts): the one transaction helper, driver
 * error translation, schema names, event-row decoding, the store's type guard, and the registry
 * through which each area owns its migrations.
 */
import type { ClientBase } from 'pg';

export type { MigrationArea, MigrationVersions } from '../migration-registry.js';
export { MIGRATION_NUMBERS } from '../migration-registry.js';
export type { PostgresHandle } from './area-migrations.js';
export { ensureMigrations, registerMigrations } from './area-migrations.js';
export { isConnectionError, translate, uniqueViolation } from './errors.js';
export type { PostgresMigration } from './migrations/migration.js';
export type { PostgresAppendHook, PostgresEventStore } from './postgres-store.js';
export type { SchemaNames } from './schema.js';
export { DEFAULT_SCHEMA, schemaNames } from './schema.js';
export { EVENT_COLUMNS, FACTUM_TYPES, toStoredEvent } from './sql/event-row.js';
export { readAllSql } from './sql/read-all.js';
export { isPostgresStore } from './store-guard.js';
export type { OpenTransaction, TransactionControl, TransactionOptions } from './transaction.js';
export { beginTransaction, withTransaction } from './transaction.js';

/** A pool or a client (in a transaction or not): whatever can run one query. */
export type Queryable = Pick<ClientBase, 'query'>;
