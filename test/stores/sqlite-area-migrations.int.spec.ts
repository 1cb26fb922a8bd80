/**
 * Each area (projections, follow, messaging) owns and registers its migrations. This file loads no
 * area up front: each test loads the one it needs, as an application importing it later would.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, MigrationRequiredError, StoreCorruptError, ValidationError } from 'factum';
import { createSqliteStore, migrate, migrations } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { registerMigrations } from '../../src/stores/sqlite/kit.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-sqlite-areas-');
let files = 0;
const nextFile = () => join(dir, `areas-${++files}.db`);

const tables = (db: Database.Database) =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name);
const ledger = (db: Database.Database) =>
  db
    .prepare<[], { version: number }>('SELECT version FROM factum_migrations ORDER BY version')
    .all()
    .map((r) => r.version);

describe('SQLite migrations, owned per area', () => {
  it('an area loaded after the store opened gets its tables at first use', async () => {
    const store = createSqliteStore(nextFile());
    expect(ledger(store.database)).toEqual(migrations.map((m) => m.version));
    expect(tables(store.database)).not.toContain('factum_outbox');

    const { sqliteInbox } = await import('factum/messaging');
    const { sqliteFollowStorage, loadCheckpoint } = await import('factum/follow');
    const inbox = sqliteInbox(store);
    expect(await inbox.process('billing', { id: 'e1' }, () => {})).toBe('processed');
    const storage = sqliteFollowStorage(store);
    await storage.transaction((tx) => tx.setCheckpoint('relay:relay', 3n));
    expect(await loadCheckpoint(storage, 'relay:relay')).toBe(3n);
    expect(tables(store.database)).toEqual(
      expect.arrayContaining(['factum_inbox', 'factum_outbox', 'factum_checkpoints', 'factum_leases']),
    );
    expect(ledger(store.database)).toEqual([1, 2, 3, 4, 10, 11, 12, 13, 14, 15]);
    await store.close();
  });

  it('a store opened with migrate: false refuses an area’s first use with MigrationRequiredError naming factum migrate', async () => {
    const file = nextFile();
    await createSqliteStore(file).close();
    const store = createSqliteStore(file, { migrate: false });
    const { createProjections, sqliteProjectionStorage } = await import('factum/projections');
    let refused: unknown;
    try {
      sqliteProjectionStorage(store);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(MigrationRequiredError);
    expect(refused).toMatchObject({
      code: ErrorCodes.MIGRATION_REQUIRED,
      current: 0,
      required: 8,
      message: expect.stringContaining('factum migrate'),
    });
    await expect(createProjections(store, {})).rejects.toBeInstanceOf(MigrationRequiredError);
    expect(tables(store.database)).not.toContain('factum_projections');
    // Once migrated (as `factum migrate` does, with every area loaded), the area works.
    expect(migrate(store.database)).toEqual(expect.arrayContaining([5, 6, 7]));
    const projections = await createProjections(store, {});
    expect(await projections.status()).toEqual([]);
    await store.close();
  });

  it('a newer version in one area’s range is refused by that area only', async () => {
    const { sqliteInbox } = await import('factum/messaging');
    const { createProjections } = await import('factum/projections');
    const file = nextFile();
    const first = createSqliteStore(file);
    migrate(first.database);
    // A newer Factum added messaging's migration 0020 (a number messaging keeps for itself).
    first.database.prepare("INSERT INTO factum_migrations VALUES (20, 'from-the-future', 0)").run();
    await first.close();

    const store = createSqliteStore(file);
    await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
    const projections = await createProjections(store, {});
    expect(await projections.status()).toEqual([]);
    let refused: unknown;
    try {
      sqliteInbox(store);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(StoreCorruptError);
    expect((refused as Error).message).toMatch(
      /migration 20 of messaging, newer than this version of Factum knows \(14\)/,
    );
    expect(() => migrate(store.database)).toThrow(StoreCorruptError);
    await store.close();
  });

  it('refuses to open a database at a version no area owns (migrated by a newer Factum)', async () => {
    const file = nextFile();
    const db = new Database(file);
    migrate(db);
    db.prepare("INSERT INTO factum_migrations VALUES (999, 'from-the-future', 0)").run();
    db.close();
    expect(() => createSqliteStore(file)).toThrow(StoreCorruptError);
  });

  it('refuses a registration that takes another area’s numbers or strays outside its own', () => {
    const migration = { version: 12, name: 'mine', sql: 'SELECT 1' };
    expect(() => registerMigrations({ area: 'mine', versions: [12], migrations: [migration] })).toThrow(
      ValidationError,
    );
    expect(() =>
      registerMigrations({ area: 'mine', versions: { from: 900, to: 901 }, migrations: [migration] }),
    ).toThrow(/outside its versions/);
  });
});
