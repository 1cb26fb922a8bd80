import type { Pool } from 'pg';
import { MigrationRequiredError, StoreCorruptError } from '../../../core/errors.js';
import { translate } from '../errors.js';
import type { SchemaNames } from '../schema.js';
import { migration as m0001 } from './0001-create-events.js';
import { migration as m0002 } from './0002-forbid-event-updates.js';
import { migration as m0003 } from './0003-forbid-event-deletes.js';
import { migration as m0004 } from './0004-create-snapshots.js';
import { migration as m0005 } from './0005-create-projections.js';
import { migration as m0006 } from './0006-create-projection-dead-letters.js';
import { migration as m0007 } from './0007-create-projection-leases.js';
import { migration as m0010 } from './0010-create-checkpoints.js';
import { migration as m0011 } from './0011-create-leases.js';
import { migration as m0012 } from './0012-create-outbox.js';
import { migration as m0013 } from './0013-create-inbox.js';
import { migration as m0015 } from './0015-one-lease-and-checkpoint-table.js';
import type { PostgresMigration } from './migration.js';

export type { PostgresMigration } from './migration.js';

/** Numbered migrations of a Factum PostgreSQL schema, applied in order, each once. */
export const migrations: readonly PostgresMigration[] = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0010,
  m0011,
  m0012,
  m0013,
  m0015,
];

const LATEST = migrations.at(-1)?.version ?? 0;

/**
 * Brings one schema up to the latest migration, creating the schema if needed. All pending
 * migrations run in one transaction under an advisory lock keyed by the schema name, so several
 * processes may migrate at once: one applies, the others find nothing left to do. Returns the
 * versions it applied.
 */
export async function applyMigrations(pool: Pool, names: SchemaNames): Promise<number[]> {
  const client = await pool.connect().catch((error: unknown) => {
    throw translate(error, `connect to migrate schema ${names.schema}`);
  });
  let failed: unknown;
  try {
    await client.query('BEGIN');
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
    assertNotNewer(names, applied);
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      for (const statement of m.statements(names)) await client.query(statement);
      await client.query(`INSERT INTO ${names.migrations} (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      done.push(m.version);
    }
    await client.query('COMMIT');
    return done;
  } catch (error) {
    failed = error;
    await client.query('ROLLBACK').catch(() => {});
    throw translate(error, `migrate schema ${names.schema}`);
  } finally {
    client.release(failed === undefined ? undefined : true);
  }
}

/**
 * Checks, without changing anything, that the schema has every migration this version of Factum
 * needs. Throws MigrationRequiredError (naming the fix) or StoreCorruptError (schema is newer).
 */
export async function assertMigrated(pool: Pool, names: SchemaNames): Promise<void> {
  let applied: Set<number>;
  try {
    const { rows } = await pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
      names.migrations,
    ]);
    applied = rows[0]?.exists === true ? await appliedVersions(pool, names) : new Set();
  } catch (error) {
    throw translate(error, `check the migrations of schema ${names.schema}`);
  }
  assertNotNewer(names, applied);
  const missing = migrations.filter((m) => !applied.has(m.version));
  if (missing.length > 0) {
    throw new MigrationRequiredError(
      `PostgreSQL schema ${names.schema}`,
      Math.max(0, ...applied),
      LATEST,
      `run \`factum migrate\`, call migrate({ schema: '${names.schema}', … }) from 'factum/postgres', or open the store with { migrate: true } (missing: ${missing.map((m) => m.version).join(', ')})`,
    );
  }
}

async function appliedVersions(db: Pick<Pool, 'query'>, names: SchemaNames): Promise<Set<number>> {
  const { rows } = await db.query<{ version: number }>(`SELECT version FROM ${names.migrations}`);
  return new Set(rows.map((r) => r.version));
}

function assertNotNewer(names: SchemaNames, applied: ReadonlySet<number>): void {
  const newest = Math.max(0, ...applied);
  if (newest > LATEST) {
    throw new StoreCorruptError(
      `PostgreSQL schema ${names.schema} is at migration ${newest}, newer than this version of Factum knows (${LATEST}); upgrade Factum`,
    );
  }
}
