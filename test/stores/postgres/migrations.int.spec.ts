import { ErrorCodes, MigrationRequiredError, openStore, StoreCorruptError, ValidationError } from 'factum';
import { createPostgresStore, migrate, migrations } from 'factum/postgres';
import { describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';
import { services } from '../../support/services.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL schema and migrations', () => {
  const { pool, dropLater } = testPool({ max: 6 });
  const nextSchema = schemaNamer('factum_migrate');
  const fresh = () => {
    const schema = nextSchema();
    dropLater(schema);
    return schema;
  };

  it('refuses to open an unmigrated schema, naming the fix; migrate() applies every migration once', async () => {
    const schema = fresh();
    const refused = createPostgresStore({ pool, schema });
    await expect(refused).rejects.toBeInstanceOf(MigrationRequiredError);
    await expect(refused).rejects.toMatchObject({
      code: ErrorCodes.MIGRATION_REQUIRED,
      current: 0,
      required: migrations.at(-1)!.version,
      message: expect.stringContaining('factum migrate'),
    });
    expect(await migrate({ pool, schema })).toEqual(migrations.map((m) => m.version));
    expect(await migrate({ pool, schema })).toEqual([]);
    const { rows } = await pool.query(
      `SELECT version, name FROM "${schema}".factum_migrations ORDER BY version`,
    );
    expect(rows).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
    const store = await createPostgresStore({ pool, schema });
    await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
    await store.close();
  });

  it('lets several processes migrate the same schema at once', async () => {
    const schema = fresh();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => migrate({ connectionString: services.postgres, schema })),
    );
    expect(results.flat().sort((a, b) => a - b)).toEqual(migrations.map((m) => m.version));
  });

  it('refuses a schema migrated by a newer Factum', async () => {
    const schema = fresh();
    await migrate({ pool, schema });
    await pool.query(
      `INSERT INTO "${schema}".factum_migrations (version, name) VALUES (999, 'from-the-future')`,
    );
    await expect(createPostgresStore({ pool, schema })).rejects.toBeInstanceOf(StoreCorruptError);
    await expect(migrate({ pool, schema })).rejects.toBeInstanceOf(StoreCorruptError);
  });

  it('validates schema names instead of quoting whatever it is given', async () => {
    for (const schema of [
      'Orders',
      'a-b',
      '1abc',
      '',
      'x'.repeat(49),
      'pg_temp',
      'a"; DROP SCHEMA public; --',
      42,
    ]) {
      await expect(createPostgresStore({ pool, schema: schema as string })).rejects.toMatchObject({
        code: ErrorCodes.INVALID_ARGUMENT,
        field: 'schema',
      });
    }
  });

  it('works with the longest schema name it accepts', async () => {
    const schema = `${nextSchema()}_`.padEnd(48, 'x');
    dropLater(schema);
    const store = await createPostgresStore({ pool, schema, migrate: true });
    await store.append('order-1', [
      { type: 'A', data: {} },
      { type: 'B', data: {} },
    ]);
    expect((await store.readStream('order-1')).events.map((e) => e.type)).toEqual(['A', 'B']);
    expect((await store.readStream('order-1', { direction: 'backward' })).events.map((e) => e.type)).toEqual([
      'B',
      'A',
    ]);
    expect((await store.readAll()).events).toHaveLength(2);
    await store.close();
  });

  it('needs exactly one of pool and connectionString', async () => {
    await expect(createPostgresStore({})).rejects.toBeInstanceOf(ValidationError);
    await expect(createPostgresStore({ pool, connectionString: services.postgres })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      field: 'pool',
    });
  });

  it('keeps two applications in one database apart by schema', async () => {
    const [a, b] = [fresh(), fresh()];
    const storeA = await createPostgresStore({ pool, schema: a, migrate: true });
    const storeB = await createPostgresStore({ pool, schema: b, migrate: true });
    await storeA.append('order-1', [{ type: 'OrderPlaced', data: { app: 'a' } }]);
    expect((await storeB.readStream('order-1')).exists).toBe(false);
    expect((await storeB.readAll()).events).toEqual([]);
    await storeB.append('order-1', [{ type: 'OrderPlaced', data: { app: 'b' } }]);
    expect((await storeA.readStream('order-1')).events.map((e) => e.data)).toEqual([{ app: 'a' }]);
    await storeA.close();
    await storeB.close();
  });

  it('the database refuses to change or delete stored events', async () => {
    const schema = fresh();
    const store = await createPostgresStore({ pool, schema, migrate: true });
    await store.append('order-1', [{ type: 'OrderPlaced', data: { total: 5 } }]);
    const table = `"${schema}".factum_events`;
    await expect(pool.query(`UPDATE ${table} SET data = '{}'`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`TRUNCATE ${table}`)).rejects.toThrow(/append-only/);
    expect((await store.readStream('order-1')).events[0]!.data).toEqual({ total: 5 });
    await store.close();
  });

  it("openStore('postgres://…') loads the PostgreSQL store and owns its pool", async () => {
    const schema = fresh();
    await expect(openStore(services.postgres, { schema })).rejects.toBeInstanceOf(MigrationRequiredError);
    const store = await openStore(services.postgres, { schema, migrate: true });
    await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
    expect((await store.readStream('order-1')).version).toBe(1);
    await store.close();
    await expect(store.readAll()).rejects.toMatchObject({ code: ErrorCodes.STORE_CLOSED });
  });
});
