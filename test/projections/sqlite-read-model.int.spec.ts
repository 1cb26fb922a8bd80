import { join } from 'node:path';
import { ErrorCodes } from 'factum';
import { createProjections, defineProjection, readDocuments } from 'factum/projections';
import { createSqliteStore, type SqliteEventStore } from 'factum/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-read-model-');
let n = 0;

// #region raw-sql
const dailyTotals = defineProjection({
  name: 'daily_totals',
  handles: ['OrderPlaced'],
  tables: ['daily_totals'],
  // Runs for every new generation: create tables under the names tx.table() gives.
  async setup(tx) {
    await tx.exec(
      `CREATE TABLE ${tx.table('daily_totals')} (day TEXT PRIMARY KEY, orders INTEGER, total INTEGER)`,
    );
  },
  async handle(event, tx) {
    const { total } = event.data as { total: number };
    await tx.exec(
      `INSERT INTO ${tx.table('daily_totals')} (day, orders, total) VALUES (?, 1, ?)
       ON CONFLICT (day) DO UPDATE SET orders = orders + 1, total = total + excluded.total`,
      [event.timestamp.toISOString().slice(0, 10), total],
    );
  },
});
// Readers use the plain name: a view of the live generation.
// SELECT day, orders, total FROM daily_totals
// #endregion raw-sql

describe('read models on SQLite', () => {
  const stores: SqliteEventStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  const open = () => {
    const store = createSqliteStore(join(dir, `rm-${++n}.db`), {
      now: () => new Date('2026-03-14T10:00:00Z'),
    });
    stores.push(store);
    return store;
  };

  it('raw SQL tables: created per generation by setup, read through a view that a rebuild swaps', async () => {
    const store = open();
    const projections = await createProjections(store, { async: [dailyTotals] });
    projections.start();
    let position = 0n;
    for (let i = 1; i <= 4; i++)
      ({ position } = await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { total: i * 10 } }]));
    await projections.waitFor('daily_totals', position);
    const read = () => store.database.prepare('SELECT day, orders, total FROM daily_totals').all();
    expect(read()).toEqual([{ day: '2026-03-14', orders: 4, total: 100 }]);
    await projections.rebuild('daily_totals');
    expect(read()).toEqual([{ day: '2026-03-14', orders: 4, total: 100 }]);
    const tables = store.database
      .prepare("SELECT name, type FROM sqlite_master WHERE name LIKE 'daily_totals%' ORDER BY name")
      .all();
    expect(tables).toEqual([
      { name: 'daily_totals', type: 'view' },
      { name: 'daily_totals__g2', type: 'table' },
    ]);
    await projections.stop();
  });

  it('a filter on a declared index uses that index (query plan)', async () => {
    const store = open();
    const projection = defineProjection({
      name: 'orders_by_status',
      handles: ['OrderPlaced'],
      documents: { orders_by_status: { indexes: ['status', ['customer.id', 'total']] } },
      async handle(event, tx) {
        await tx.documents('orders_by_status').upsert(event.streamId, event.data as Record<string, unknown>);
      },
    });
    await createProjections(store, { async: [projection] });
    const sql: string[] = [];
    const prepare = store.database.prepare.bind(store.database);
    store.database.prepare = ((source: string) => {
      sql.push(source);
      return prepare(source);
    }) as typeof store.database.prepare;
    const docs = readDocuments(store, 'orders_by_status');
    await docs.find({ status: 'placed' });
    await docs.find({ 'customer.id': 'c-1', total: { gte: 10 } });
    await docs.find({ note: 'x' });
    store.database.prepare = prepare;
    const plan = (query: string) =>
      store.database
        .prepare(`EXPLAIN QUERY PLAN ${query}`)
        .all(...Array.from({ length: (query.match(/\?/g) ?? []).length }, () => 'x'))
        .map((r) => (r as { detail: string }).detail)
        .join('; ');
    const [byStatus, byCustomer, byNote] = sql.filter((s) => s.startsWith('SELECT doc FROM'));
    expect(plan(byStatus!)).toMatch(/USING INDEX orders_by_status__g1__ix_/);
    expect(plan(byCustomer!)).toMatch(/USING INDEX orders_by_status__g1__ix_/);
    expect(plan(byNote!)).toMatch(/SCAN orders_by_status__g1/);
  });

  it('a handler cannot append to the store it projects from (it would wait for itself); the event is dead-lettered', async () => {
    const store = open();
    const reactor = defineProjection({
      name: 'reactor',
      handles: ['Ping'],
      retry: { retries: 0 },
      async handle() {
        await store.append('pong-1', [{ type: 'Pong', data: {} }]);
      },
    });
    const projections = await createProjections(store, { async: [reactor] });
    projections.start();
    const { position } = await store.append('ping-1', [{ type: 'Ping', data: {} }]);
    await projections.waitFor('reactor', position);
    const [dead] = await projections.listDeadLetters();
    expect(dead?.error?.message).toContain('Cannot append to pong-1 inside an open projection transaction');
    expect((await store.readStream('pong-1')).exists).toBe(false);
    await projections.stop();
  });

  it('refuses a collection another projection already owns, and unknown collections', async () => {
    const store = open();
    const one = defineProjection({ name: 'one', handles: ['A'], documents: { shared: {} }, handle() {} });
    const two = defineProjection({ name: 'two', handles: ['A'], documents: { shared: {} }, handle() {} });
    await createProjections(store, { async: [one] });
    await expect(createProjections(store, { async: [two] })).rejects.toThrow(
      "Projection two declares 'shared', which projection one already owns",
    );
    await expect(readDocuments(store, 'nothing').get('x')).rejects.toMatchObject({
      code: ErrorCodes.PROJECTION_NOT_FOUND,
    });
  });
});
