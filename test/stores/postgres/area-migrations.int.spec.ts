/**
 * Each area (projections, follow, messaging) owns and registers its migrations. This file loads no
 * area up front: each test loads the one it needs, as an application importing it later would.
 */
import { ErrorCodes, MigrationRequiredError, StoreCorruptError } from 'factum';
import { createPostgresStore, migrate, migrations } from 'factum/postgres';
import { describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';
import { services } from '../../support/services.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL migrations, owned per area', () => {
  const { pool, dropLater } = testPool({ max: 6 });
  const nextSchema = schemaNamer('factum_areas');
  const fresh = () => {
    const schema = nextSchema();
    dropLater(schema);
    return schema;
  };
  const ledger = async (schema: string) =>
    (
      await pool.query<{ version: number }>(
        `SELECT version FROM "${schema}".factum_migrations ORDER BY version`,
      )
    ).rows.map((r) => r.version);
  const exists = async (table: string) =>
    (await pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table])).rows[0]!
      .found;

  it('an area loaded after the store opened gets its tables at first use', async () => {
    const schema = fresh();
    const store = await createPostgresStore({ pool, schema, migrate: true });
    expect(await ledger(schema)).toEqual(migrations.map((m) => m.version));
    expect(await exists(`"${schema}".factum_inbox`)).toBe(false);

    const { postgresInbox } = await import('factum/messaging');
    const { postgresFollowStorage, loadCheckpoint } = await import('factum/follow');
    expect(await postgresInbox(store).process('billing', { id: 'e1' }, () => {})).toBe('processed');
    const storage = postgresFollowStorage(store);
    await storage.transaction((tx) => tx.setCheckpoint('relay:relay', 3n));
    expect(await loadCheckpoint(storage, 'relay:relay')).toBe(3n);
    expect(await ledger(schema)).toEqual([1, 2, 3, 4, 10, 11, 12, 13, 15]);
    expect(await exists(`"${schema}".factum_outbox`)).toBe(true);
    await store.close();
  });

  it('a store opened without migrate: true refuses an area’s first use with MigrationRequiredError naming factum migrate', async () => {
    const schema = fresh();
    await migrate({ pool, schema });
    const store = await createPostgresStore({ pool, schema });
    const { createProjections, postgresProjectionStorage } = await import('factum/projections');
    const storage = postgresProjectionStorage(store);
    const refused = storage.head();
    await expect(refused).rejects.toBeInstanceOf(MigrationRequiredError);
    await expect(refused).rejects.toMatchObject({
      code: ErrorCodes.MIGRATION_REQUIRED,
      current: 0,
      required: 8,
      message: expect.stringContaining('factum migrate'),
    });
    await expect((await createProjections(store, {})).status()).rejects.toBeInstanceOf(
      MigrationRequiredError,
    );
    expect(await exists(`"${schema}".factum_projections`)).toBe(false);
    // Once migrated (as `factum migrate` does, with every area loaded), the same storage works.
    expect(await migrate({ pool, schema })).toEqual(expect.arrayContaining([5, 6, 7]));
    expect(await storage.head()).toBe(0n);
    await store.close();
  });

  it('a newer version in one area’s range is refused by that area only', async () => {
    const { postgresInbox } = await import('factum/messaging');
    const { postgresFollowStorage, tryAcquireLease } = await import('factum/follow');
    const { createProjections } = await import('factum/projections');
    const schema = fresh();
    // Another process (its own pool) migrates; then a newer Factum adds messaging's migration 0020
    // (a number messaging keeps for itself).
    await migrate({ connectionString: services.postgres, schema });
    await pool.query(
      `INSERT INTO "${schema}".factum_migrations (version, name) VALUES (20, 'from-the-future')`,
    );

    for (const migrateOnOpen of [false, true]) {
      const store = await createPostgresStore({ pool, schema, migrate: migrateOnOpen });
      await store.append(`order-${migrateOnOpen}`, [{ type: 'OrderPlaced', data: {} }]);
      expect(await (await createProjections(store, {})).status()).toEqual([]);
      expect(
        await tryAcquireLease(
          postgresFollowStorage(store),
          { name: 'relay:relay', scope: 'relay:relay' },
          'me',
          1000,
        ),
      ).toBeDefined();
      const refused = postgresInbox(store).has('billing', 'e1');
      await expect(refused).rejects.toBeInstanceOf(StoreCorruptError);
      await expect(refused).rejects.toThrow(
        /migration 20 of messaging, newer than this version of Factum knows \(13\)/,
      );
      await store.close();
    }
    await expect(migrate({ pool, schema })).rejects.toBeInstanceOf(StoreCorruptError);
  });
});
