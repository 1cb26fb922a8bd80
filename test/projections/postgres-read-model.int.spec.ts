import { ErrorCodes, isFactumError } from 'factum';
import { createPostgresStore, type PostgresEventStore } from 'factum/postgres';
import { createProjections, defineProjection, postgresProjectionStorage } from 'factum/projections';
import { afterEach, describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';

const postgres = await probePostgres();

// #region postgres-raw-sql
const dailyTotals = defineProjection({
  name: 'daily_totals',
  handles: ['OrderPlaced'],
  tables: ['daily_totals'],
  async setup(tx) {
    // tx.table() gives the schema-qualified name of this generation's table.
    await tx.exec(
      `CREATE TABLE ${tx.table('daily_totals')} (day text PRIMARY KEY, orders integer, total bigint)`,
    );
  },
  async handle(event, tx) {
    const { total } = event.data as { total: number };
    await tx.exec(
      `INSERT INTO ${tx.table('daily_totals')} AS t (day, orders, total) VALUES ($1, 1, $2)
       ON CONFLICT (day) DO UPDATE SET orders = t.orders + 1, total = t.total + excluded.total`,
      [event.timestamp.toISOString().slice(0, 10), total],
    );
  },
});
// Readers use the plain name in the store's schema: a view of the live generation.
// SELECT day, orders, total FROM factum.daily_totals
// #endregion postgres-raw-sql

const orderSummaries = defineProjection({
  name: 'order_summaries',
  handles: ['OrderPlaced'],
  documents: { order_summaries: { indexes: ['status', 'total'] } },
  async handle(event, tx) {
    const { total } = event.data as { total: number };
    await tx.documents('order_summaries').upsert(event.streamId, { status: 'placed', total });
  },
});

describe.skipIf(!postgres.available)('read models on PostgreSQL', () => {
  const { pool, dropLater } = testPool({ max: 6 });
  const nextSchema = schemaNamer('factum_pjread');
  const stores: PostgresEventStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  const open = async () => {
    const schema = nextSchema();
    dropLater(schema);
    const store = await createPostgresStore({ pool, schema, migrate: true });
    stores.push(store);
    return store;
  };

  it('documents: createProjections finds the PostgreSQL storage, runs, and reads back', async () => {
    const store = await open();
    // #region postgres-usage
    // The PostgreSQL store's schema holds the read models, checkpoints, dead letters and leases
    // (migrations 0005-0007); nothing else to configure.
    const projections = await createProjections(store, { async: [orderSummaries] });
    projections.start();
    const { position } = await store.append('order-1', [{ type: 'OrderPlaced', data: { total: 25 } }]);
    await projections.waitFor('order_summaries', position);
    const placed = await projections.documents('order_summaries').find({ status: 'placed' });
    // placed → [{ status: 'placed', total: 25 }]
    // #endregion postgres-usage
    expect(placed).toEqual([{ status: 'placed', total: 25 }]);
    expect(projections.storage.dialect).toBe('postgres');
    await projections.stop();
  });

  it('filters on a declared index use it (query plan)', async () => {
    const store = await open();
    const projections = await createProjections(store, { async: [orderSummaries] });
    projections.start();
    let position = 0n;
    for (let i = 0; i < 30; i++) {
      ({ position } = await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { total: i } }]));
    }
    await projections.waitFor('order_summaries', position);
    await projections.stop();
    expect(await projections.documents('order_summaries').count({ total: { gte: 10, lt: 20 } })).toBe(10);
    const client = await pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT doc FROM "${store.schema}".order_summaries__g1
          WHERE (CASE doc #> '{total}' WHEN 'true' THEN '1'::jsonb WHEN 'false' THEN '0'::jsonb WHEN 'null' THEN NULL ELSE doc #> '{total}' END) >= '10'::jsonb`,
      );
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
    } finally {
      await client.query('RESET enable_seqscan');
      client.release();
    }
  });

  it('raw SQL tables: created per generation by setup, read through a view that a rebuild swaps', async () => {
    const store = await open();
    const projections = await createProjections(store, { async: [dailyTotals] });
    projections.start();
    await store.append('order-1', [{ type: 'OrderPlaced', data: { total: 10 } }]);
    const { position } = await store.append('order-2', [{ type: 'OrderPlaced', data: { total: 5 } }]);
    await projections.waitFor('daily_totals', position);
    const read = async () =>
      (await pool.query(`SELECT orders, total::int AS total FROM "${store.schema}".daily_totals`)).rows;
    expect(await read()).toEqual([{ orders: 2, total: 15 }]);
    await projections.rebuild('daily_totals');
    expect(await read()).toEqual([{ orders: 2, total: 15 }]);
    await projections.stop();
  });

  it('a transaction sees its own buffered writes everywhere: get, patch, delete, find, count, raw SQL, savepoints', async () => {
    const store = await open();
    const storage = postgresProjectionStorage(store);
    const layout = { projection: 'p', generation: 1, documents: { p_docs: { indexes: ['n'] } }, tables: [] };
    await storage.transaction(async (tx) => {
      await tx.createGeneration(layout);
      const ptx = tx.projectionTx(layout);
      const docs = ptx.documents<{ n: number; m?: number }>('p_docs');
      await docs.upsert('a', { n: 1 });
      expect(await docs.get('a')).toEqual({ n: 1 });
      expect(await docs.patch('a', { m: 2 })).toBe(true);
      expect(await docs.get('a')).toEqual({ n: 1, m: 2 });
      expect(await docs.delete('a')).toBe(true);
      expect(await docs.delete('a')).toBe(false);
      expect(await docs.patch('a', { m: 3 })).toBe(false);
      expect(await docs.get('a')).toBeUndefined();
      await docs.upsert('b', { n: 5 });
      expect(await docs.count({ n: { gte: 5 } })).toBe(1);
      await docs.upsert('c', { n: 6 });
      expect(await ptx.sql(`SELECT id FROM "${store.schema}".p_docs__g1 ORDER BY id`)).toEqual([
        { id: 'b' },
        { id: 'c' },
      ]);
      await docs.upsert('d', { n: 7 });
      await expect(
        tx.savepoint(async () => {
          await docs.upsert('e', { n: 8 });
          await docs.delete('d');
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      expect((await docs.find({}, { orderBy: 'n' })).map((d) => d.n)).toEqual([5, 6, 7]);
      // jsonb cannot hold U+0000: refused at the call (so a handler fails on its own event), not at the flush.
      await expect(docs.upsert('z', { n: 0, text: 'nul\u0000' } as never)).rejects.toSatisfy((e) =>
        isFactumError(e, ErrorCodes.INVALID_ARGUMENT),
      );
    });
    const { rows } = await pool.query(`SELECT id, doc FROM "${store.schema}".p_docs__g1 ORDER BY id`);
    expect(rows).toEqual([
      { id: 'b', doc: { n: 5 } },
      { id: 'c', doc: { n: 6 } },
      { id: 'd', doc: { n: 7 } },
    ]);
  });
});
