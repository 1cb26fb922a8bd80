import type Database from 'better-sqlite3';
import {
  type ApplyPolicy,
  MIGRATION_NUMBERS,
  MigrationRegistry,
  STORE_AREA,
} from '../../migration-registry.js';
import { migration as m0001 } from './0001-create-events.js';
import { migration as m0002 } from './0002-forbid-event-updates.js';
import { migration as m0003 } from './0003-forbid-event-deletes.js';
import { migration as m0004 } from './0004-create-snapshots.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The store's own migrations: the event log (0001-0003) and snapshots (0004). */
export const migrations: readonly Migration[] = [m0001, m0002, m0003, m0004];

/** Every area's SQLite migrations, registered when the area's module loads. */
export const sqliteMigrations = new MigrationRegistry<Migration>();
sqliteMigrations.register({ area: STORE_AREA, versions: MIGRATION_NUMBERS.store, migrations });

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS factum_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`;

const WHERE = 'The database';

/** Applies every registered area; any area migrated by a newer Factum refuses. */
export function allAreas(): ApplyPolicy {
  const areas = sqliteMigrations.areas();
  return { areas, refuseNewer: areas, refuseUnknown: true };
}

/** Applies every registered area; only the store refuses when newer (another area refuses at its use). */
export function onOpen(): ApplyPolicy {
  return { areas: sqliteMigrations.areas(), refuseNewer: [STORE_AREA], refuseUnknown: true };
}

/** Applies one area, which refuses when newer. */
export function oneArea(area: string): ApplyPolicy {
  return { areas: [area], refuseNewer: [area], refuseUnknown: false };
}

/**
 * Brings the database up to date: the store's migrations and those of every area loaded in this
 * process, in version order, each once. A database where one of them was migrated by a newer Factum
 * is refused (StoreCorruptError) and nothing is applied. Returns the versions it applied; this is
 * what `factum migrate sqlite:<file>` runs.
 */
export function migrate(db: Database.Database): number[] {
  return applyMigrations(db, allAreas()).applied;
}

/**
 * Applies the pending migrations of the areas of `policy`, in version order. Safe when several
 * processes open the same file at once: each migration runs under BEGIN IMMEDIATE and re-checks the
 * ledger inside the transaction. Returns the versions it applied and the areas now up to date.
 */
export function applyMigrations(
  db: Database.Database,
  policy: ApplyPolicy,
): { applied: number[]; areas: string[] } {
  db.exec(CREATE_LEDGER);
  const isApplied = db.prepare<[number], { version: number }>(
    'SELECT version FROM factum_migrations WHERE version = ?',
  );
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO factum_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const { pending, current } = sqliteMigrations.plan(appliedVersions(db), policy, WHERE);
  const applied: number[] = [];
  for (const m of pending) {
    const run = db.transaction(() => {
      if (isApplied.get(m.version) !== undefined) return false;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
      return true;
    });
    if (run.immediate()) applied.push(m.version);
  }
  return { applied, areas: current };
}

/**
 * Checks, without changing anything, that the database has every migration `areas` need. Throws
 * MigrationRequiredError (naming the fix) or StoreCorruptError (migrated by a newer Factum).
 */
export function assertMigrated(db: Database.Database, areas: readonly string[]): void {
  sqliteMigrations.check(
    appliedVersions(db),
    areas,
    WHERE,
    "run `factum migrate sqlite:<file>`, call migrate(db) from 'factum/sqlite', or open the store with { migrate: true }",
  );
}

/** The versions in the ledger; none when there is no ledger yet. */
function appliedVersions(db: Database.Database): Set<number> {
  const ledger = db
    .prepare<[], { n: number }>(
      "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'factum_migrations'",
    )
    .get();
  if (ledger === undefined || ledger.n === 0) return new Set();
  const rows = db.prepare<[], { version: number }>('SELECT version FROM factum_migrations').all();
  return new Set(rows.map((r) => r.version));
}
