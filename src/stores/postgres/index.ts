import type { Pool, PoolConfig } from 'pg';
import { ErrorCodes, MissingDriverError, ValidationError } from '../../core/errors.js';
import { STORE_AREA } from '../migration-registry.js';
import { markMigrated } from './area-migrations.js';
import { allAreas, applyMigrations, assertMigrated, onOpen } from './migrations/index.js';
import { PostgresEventStore, type PostgresStoreBehaviour } from './postgres-store.js';
import { DEFAULT_SCHEMA, schemaNames } from './schema.js';

export type { HeldBackStatus } from './held-back.js';
export type { PostgresMigration } from './migrations/index.js';
export { migrations } from './migrations/index.js';
export {
  decodePosition,
  encodePosition,
  MAX_EVENTS_PER_TRANSACTION,
  MAX_TRANSACTION_ID,
} from './position.js';
export type { PostgresStoreBehaviour } from './postgres-store.js';
export { PostgresEventStore } from './postgres-store.js';
export { DEFAULT_SCHEMA, MAX_SCHEMA_NAME_LENGTH } from './schema.js';
export type { PostgresStoreLogger } from './signals.js';

/** Where the store connects: an injected pool (never ended by Factum) or a URL (Factum owns the pool). */
export interface PostgresConnectionOptions {
  /** A pg Pool the application owns; close() leaves it open. */
  pool?: Pool;
  /** Or a URL such as postgres://user@host:5432/db; the store creates its own pool and ends it on close(). */
  connectionString?: string;
  /** Extra pg Pool settings for a pool built from `connectionString` (default max: 10 connections). */
  poolConfig?: Omit<PoolConfig, 'connectionString'>;
  /** The schema holding Factum's tables, so several applications can share one database (default 'factum'). */
  schema?: string;
}

export interface PostgresStoreOptions extends PostgresConnectionOptions, PostgresStoreBehaviour {
  /**
   * Apply pending migrations when the store opens, those of every area loaded (default false: run
   * `factum migrate` or migrate() at deploy time), and those of an area loaded later at its first
   * use. Without it, opening a schema that lacks the store's migrations fails with
   * MigrationRequiredError, which names the fix, and so does the first use of an area that lacks its own.
   */
  migrate?: boolean;
}

/**
 * Opens the PostgreSQL event store: checks the store's own migrations (or, with `migrate: true`,
 * applies those of every area loaded) and returns a store over the pool. Needs the optional peer dependency `pg` (major 8)
 * when given a connection string.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresEventStore> {
  const names = schemaNames(options.schema ?? DEFAULT_SCHEMA);
  const { pool, owned } = await poolFor(options);
  try {
    if (options.migrate === true) {
      markMigrated(pool, names.schema, (await applyMigrations(pool, names, onOpen())).areas);
    } else {
      await assertMigrated(pool, names, [STORE_AREA]);
      markMigrated(pool, names.schema, [STORE_AREA]);
    }
  } catch (error) {
    if (owned) await pool.end().catch(() => {});
    throw error;
  }
  return new PostgresEventStore(pool, owned, names, options);
}

/**
 * Applies the pending migrations of one schema (creating it if needed) and returns the versions it
 * applied: the store's own and those of every area loaded in this process (import
 * 'factum/projections' or 'factum/messaging' first; `factum migrate` loads them all). Safe to run
 * from several processes at once. A schema where any of these areas was migrated by a newer Factum
 * is refused with StoreCorruptError, and nothing is applied.
 */
export async function migrate(options: PostgresConnectionOptions): Promise<number[]> {
  const names = schemaNames(options.schema ?? DEFAULT_SCHEMA);
  const { pool, owned } = await poolFor(options);
  try {
    const { applied, areas } = await applyMigrations(pool, names, allAreas());
    if (!owned) markMigrated(pool, names.schema, areas);
    return applied;
  } finally {
    if (owned) await pool.end().catch(() => {});
  }
}

async function poolFor(options: PostgresConnectionOptions): Promise<{ pool: Pool; owned: boolean }> {
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'pool',
      'Give the PostgreSQL store either a pg Pool (pool) or a connectionString, not both and not neither',
    );
  }
  if (options.pool !== undefined) {
    guardIdleErrors(options.pool);
    return { pool: options.pool, owned: false };
  }
  let pg: typeof import('pg');
  try {
    pg = await import('pg');
  } catch (cause) {
    throw new MissingDriverError('pg', cause);
  }
  const Pool = pg.Pool ?? (pg as unknown as { default: typeof import('pg') }).default.Pool;
  const pool = new Pool({ max: 10, ...options.poolConfig, connectionString: options.connectionString });
  guardIdleErrors(pool);
  return { pool, owned: true };
}

/**
 * pg emits 'error' on the pool when an idle connection dies (the server restarted, a backend was
 * terminated); with no listener that would crash the process. The pool drops that connection and
 * opens a new one on demand, so the error needs no handling here, only a listener.
 */
function guardIdleErrors(pool: Pool): void {
  if (pool.listenerCount('error') === 0) pool.on('error', () => {});
}
