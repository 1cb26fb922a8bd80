import { join } from 'node:path';
import {
  commandHandler,
  createSchemaRegistry,
  type Decider,
  loadState,
  StoreClosedError,
  withSchemas,
} from 'factum';
import { createSqliteStore, migrations } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-sqlite-snap-');
let n = 0;
const file = () => join(dir, `snap-${++n}.db`);

type Ev = { type: 'Added'; data: { n: number } };
const sum: Decider<{ n: number }, Ev, { total: number }> = {
  name: 'sum',
  initialState: () => ({ total: 0 }),
  evolve: (s, e) => ({ total: s.total + e.data.n }),
  decide: (c) => ({ type: 'Added', data: { n: c.n } }),
  snapshot: { every: 10, schemaVersion: 1 },
};

describe('SQLite snapshots', () => {
  it('migration 0004 creates factum_snapshots with one row per (stream, decider name)', async () => {
    expect(migrations.map((m) => [m.version, m.name])).toContainEqual([4, 'create-snapshots']);
    const store = createSqliteStore(file());
    const handle = commandHandler(store, sum);
    for (let i = 1; i <= 25; i++) await handle('sum-1', { n: i });
    await commandHandler(store, { ...sum, name: 'other' })('sum-1', { n: 1 });
    for (let i = 1; i <= 12; i++) await handle('sum-2', { n: 1 });
    const rows = store.database
      .prepare(
        'SELECT stream_id, name, version, schema_version, state FROM factum_snapshots ORDER BY stream_id, name',
      )
      .all();
    // 'other' had no snapshot yet: 26 events since none, so it took one at once.
    expect(rows).toEqual([
      { stream_id: 'sum-1', name: 'other', version: 26, schema_version: 1, state: '{"total":326}' },
      { stream_id: 'sum-1', name: 'sum', version: 20, schema_version: 1, state: '{"total":210}' },
      { stream_id: 'sum-2', name: 'sum', version: 10, schema_version: 1, state: '{"total":10}' },
    ]);
    expect(store.database.prepare('SELECT name FROM factum_migrations WHERE version = 4').get()).toEqual({
      name: 'create-snapshots',
    });
    await store.close();
  });

  it('keeps snapshots across a reopen, and deleting every row changes no result', async () => {
    const path = file();
    const first = createSqliteStore(path);
    for (let i = 1; i <= 30; i++) await commandHandler(first, sum)('sum-3', { n: i });
    await first.close();
    const second = createSqliteStore(path);
    const loaded = await loadState(second, sum, 'sum-3');
    expect(loaded).toMatchObject({
      state: { total: 465 },
      version: 30,
      snapshotVersion: 30,
      eventsApplied: 0,
    });
    second.database.exec('DELETE FROM factum_snapshots');
    expect(await loadState(second, sum, 'sum-3')).toMatchObject({
      state: { total: 465 },
      version: 30,
      snapshotVersion: 0,
    });
    await second.close();
  });

  it('refuses snapshot calls on a closed store', async () => {
    const store = createSqliteStore(file());
    const snapshots = store.snapshots;
    await store.close();
    await expect(snapshots.load('sum-4', 'sum')).rejects.toBeInstanceOf(StoreClosedError);
    await expect(
      snapshots.save({ streamId: 'sum-4', name: 'sum', version: 1, schemaVersion: 1, state: {} }),
    ).rejects.toBeInstanceOf(StoreClosedError);
  });

  it('upcasting never changes the stored row', async () => {
    const store = createSqliteStore(file());
    await store.append('order-1', [{ type: 'OrderPlaced', data: { orderId: '1', total: 5 } }]);
    const registry = createSchemaRegistry().upcaster({
      type: 'OrderPlaced',
      fromVersion: 1,
      toVersion: 2,
      upcast: (data) => ({ ...data, currency: 'USD' }),
    });
    const read = await withSchemas(store, registry).readStream('order-1');
    expect(read.events[0]).toMatchObject({
      schemaVersion: 2,
      data: { orderId: '1', total: 5, currency: 'USD' },
    });
    const row = store.database
      .prepare('SELECT schema_version, data FROM factum_events WHERE stream_id = ?')
      .get('order-1');
    expect(row).toEqual({ schema_version: 1, data: '{"orderId":"1","total":5}' });
    await store.close();
  });
});
