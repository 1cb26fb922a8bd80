import type { Pool } from 'pg';
import type { MigrationArea } from '../migration-registry.js';
import { applyMigrations, assertMigrated, oneArea, postgresMigrations } from './migrations/index.js';
import type { PostgresMigration } from './migrations/migration.js';
import { DEFAULT_SCHEMA, schemaNames } from './schema.js';
import { isPostgresStore } from './store-guard.js';

/**
 * Where Factum's tables are on PostgreSQL: a pool and the schema holding them (default 'factum').
 * A PostgresEventStore is one (it has `pool` and `schema`).
 */
export interface PostgresHandle {
  readonly pool: Pool;
  readonly schema?: string;
}

/**
 * Registers an area's PostgreSQL migrations (call it when the area's module loads). From then on,
 * opening a store with `migrate: true`, `migrate()` and `factum migrate` apply them with the others.
 */
export function registerMigrations(area: MigrationArea<PostgresMigration>): void {
  postgresMigrations.register(area);
}

/** Per pool, per schema, per area: the check or migration done (or under way) in this process. */
const ensured = new WeakMap<object, Map<string, Map<string, Promise<void>>>>();

/**
 * Makes sure `area`'s migrations are applied in the handle's schema before its first statement, once
 * per pool and schema. A store opened with `migrate: true` applies what is missing (one transaction
 * under the schema's migration lock); any other handle (a store opened without it, a bare pool)
 * checks and refuses with MigrationRequiredError naming `factum migrate`. Either way an area
 * migrated by a newer Factum is refused with StoreCorruptError; other areas are not its concern.
 */
export function ensureMigrations(handle: PostgresHandle, area: string): Promise<void> {
  const names = schemaNames(handle.schema ?? DEFAULT_SCHEMA);
  const areas = areasOf(handle.pool, names.schema);
  const known = areas.get(area);
  if (known !== undefined) return known;
  const apply = isPostgresStore(handle) && handle.migrates;
  const run = apply
    ? applyMigrations(handle.pool, names, oneArea(area)).then(() => {})
    : assertMigrated(handle.pool, names, [area]);
  areas.set(area, run);
  // A refusal is not remembered: the next use checks again (the schema may be migrated by then).
  run.catch(() => {
    if (areas.get(area) === run) areas.delete(area);
  });
  return run;
}

/** Records that `areas` are up to date in `schema` for `pool` (the store just opened or migrated them). */
export function markMigrated(pool: Pool, schema: string, migrated: readonly string[]): void {
  const areas = areasOf(pool, schema);
  for (const area of migrated) if (!areas.has(area)) areas.set(area, Promise.resolve());
}

function areasOf(pool: Pool, schema: string): Map<string, Promise<void>> {
  let schemas = ensured.get(pool);
  if (schemas === undefined) {
    schemas = new Map();
    ensured.set(pool, schemas);
  }
  let areas = schemas.get(schema);
  if (areas === undefined) {
    areas = new Map();
    schemas.set(schema, areas);
  }
  return areas;
}
