import type { Pool, PoolClient } from 'pg';
import {
  type ApplyPolicy,
  MIGRATION_NUMBERS,
  MigrationRegistry,
  STORE_AREA,
} from '../../migration-registry.js';
import { translate } from '../errors.js';
import type { SchemaNames } from '../schema.js';
import { withTransaction } from '../transaction.js';
import { migration as m0001 } from './0001-create-events.js';
import { migration as m0002 } from './0002-forbid-event-updates.js';
import { migration as m0003 } from './0003-forbid-event-deletes.js';
import { migration as m0004 } from './0004-create-snapshots.js';
import type { PostgresMigration } from './migration.js';

export type { PostgresMigration } from './migration.js';

const UNDEFINED_TABLE = '42P01';

/** The store's own migrations: the event log (0001-0003) and snapshots (0004). */
export const migrations: readonly PostgresMigration[] = [m0001, m0002, m0003, m0004];

/** Every area's PostgreSQL migrations, registered when the area's module loads. */
export const postgresMigrations = new MigrationRegistry<PostgresMigration>();
postgresMigrations.register({ area: STORE_AREA, versions: MIGRATION_NUMBERS.store, migrations });

export interface Applied {
  /** The versions applied, in order. */
  readonly applied: number[];
  /** The areas up to date (those skipped as newer are not). */
  readonly areas: string[];
}

/** Applies every registered area; any area migrated by a newer Factum refuses. What `migrate()` runs. */
export function allAreas(): ApplyPolicy {
  const areas = postgresMigrations.areas();
  return { areas, refuseNewer: areas, refuseUnknown: true };
}

/** Applies every registered area; only the store refuses when newer (another area refuses at its use). */
export function onOpen(): ApplyPolicy {
  return { areas: postgresMigrations.areas(), refuseNewer: [STORE_AREA], refuseUnknown: true };
}

/** Applies one area, which refuses when newer. */
export function oneArea(area: string): ApplyPolicy {
  return { areas: [area], refuseNewer: [area], refuseUnknown: false };
}

/**
 * Brings the areas of `policy` up to date in one schema, creating it if needed, in version order,
 * each migration once. All pending migrations run in one transaction under an advisory lock keyed by
 * the schema name, so several processes may migrate at once: one applies, the others find nothing
 * left to do. Returns the versions it applied and the areas now up to date.
 */
export function applyMigrations(pool: Pool, names: SchemaNames, policy: ApplyPolicy): Promise<Applied> {
  return withTransaction(pool, `migrate schema ${names.schema}`, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`factum:migrate:${names.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${names.quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${names.migrations} (
  version    integer     PRIMARY KEY,
  name       text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`,
    );
    const applied = await appliedVersions(client, names);
    const { pending, current } = postgresMigrations.plan(applied, policy, where(names));
    const done: number[] = [];
    for (const m of pending) {
      for (const statement of m.statements(names)) await client.query(statement);
      await client.query(`INSERT INTO ${names.migrations} (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      done.push(m.version);
    }
    return { applied: done, areas: current };
  });
}

/**
 * Checks, without changing anything, that the schema has every migration `areas` need. Throws
 * MigrationRequiredError (naming the fix) or StoreCorruptError (migrated by a newer Factum). The
 * store's own check also refuses versions no area of this Factum owns.
 */
export async function assertMigrated(
  pool: Pool,
  names: SchemaNames,
  areas: readonly string[],
): Promise<void> {
  let applied: Set<number>;
  try {
    applied = await appliedVersions(pool, names);
  } catch (error) {
    throw translate(error, `check the migrations of schema ${names.schema}`);
  }
  if (areas.includes(STORE_AREA)) postgresMigrations.assertKnown(applied, where(names));
  postgresMigrations.check(
    applied,
    areas,
    where(names),
    `run \`factum migrate\`, call migrate({ schema: '${names.schema}', … }) from 'factum/postgres', or open the store with { migrate: true }`,
  );
}

/** The versions in the schema's ledger: none when there is no ledger (or no schema) yet. One statement. */
async function appliedVersions(
  db: Pick<Pool | PoolClient, 'query'>,
  names: SchemaNames,
): Promise<Set<number>> {
  try {
    const { rows } = await db.query<{ version: number }>({ text: `SELECT version FROM ${names.migrations}` });
    return new Set(rows.map((r) => r.version));
  } catch (error) {
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return new Set();
    throw error;
  }
}

function where(names: SchemaNames): string {
  return `PostgreSQL schema ${names.schema}`;
}
