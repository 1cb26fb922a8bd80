import { join } from 'node:path';
import { ErrorCodes, isFactumError, newEventId } from 'factum';
import { createSqliteStore, type SqliteEventStore } from 'factum/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-sqlite-tx-');
let n = 0;

describe('SQLite store: transactions and append hooks', () => {
  let store: SqliteEventStore;
  afterEach(async () => {
    await store.close();
  });
  const open = () => {
    store = createSqliteStore(join(dir, `tx-${++n}.db`));
    store.database.exec('CREATE TABLE side (k TEXT PRIMARY KEY, v INTEGER)');
    return store;
  };

  it('commits everything a transaction wrote, or nothing when it throws', async () => {
    open();
    await store.transaction(async (db) => {
      db.prepare('INSERT INTO side VALUES (?, ?)').run('a', 1);
      await sleep(5);
      db.prepare('INSERT INTO side VALUES (?, ?)').run('b', 2);
    });
    await expect(
      store.transaction(async (db) => {
        db.prepare('INSERT INTO side VALUES (?, ?)').run('c', 3);
        await sleep(5);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const rows = await store.read((db) => db.prepare('SELECT k FROM side ORDER BY k').pluck().all());
    expect(rows).toEqual(['a', 'b']);
  });

  it('makes appends and reads of the same store wait for an open transaction instead of joining it', async () => {
    open();
    const order: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const tx = store.transaction(async (db) => {
      db.prepare('INSERT INTO side VALUES (?, ?)').run('uncommitted', 1);
      order.push('tx wrote');
      await held;
      throw new Error('rolled back');
    });
    await sleep(5);
    const append = store.append('s-1', [{ type: 'A', data: {} }]).then(() => order.push('append done'));
    const read = store
      .read((db) => db.prepare('SELECT count(*) FROM side').pluck().get())
      .then((count) => order.push(`read saw ${count}`));
    await sleep(20);
    order.push('releasing');
    release();
    await expect(tx).rejects.toThrow('rolled back');
    await Promise.all([append, read]);
    expect(order).toEqual(['tx wrote', 'releasing', 'append done', 'read saw 0']);
    // The append was not swallowed by the rolled-back transaction.
    expect((await store.readStream('s-1')).version).toBe(1);
  });

  it('refuses an append from inside a transaction on the same store (it would wait for itself)', async () => {
    open();
    const error = await store
      .transaction(async () => {
        await store.append('s-1', [{ type: 'A', data: {} }]);
      })
      .catch((e: unknown) => e);
    expect(isFactumError(error, ErrorCodes.NESTED_TRANSACTION)).toBe(true);
    expect((error as Error).message).toContain('append to s-1');
    await expect(store.transaction(() => store.transaction(() => 1))).rejects.toSatisfy((e) =>
      isFactumError(e, ErrorCodes.NESTED_TRANSACTION),
    );
    expect((await store.readStream('s-1')).exists).toBe(false);
  });

  it('runs append hooks inside the append transaction with the stored events; a throw rolls the append back', async () => {
    open();
    const seen: string[] = [];
    let fail = false;
    const remove = store.addAppendHook(async (events, db) => {
      for (const e of events) {
        seen.push(`${e.streamId}:${e.version}:${e.position}:${e.type}`);
        db.prepare('INSERT INTO side VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = v + 1').run(
          e.streamId,
          1,
        );
      }
      await sleep(1);
      if (fail) throw new Error('hook refused');
    });
    const ids = [newEventId(), newEventId()];
    const first = await store.append('s-1', [
      { type: 'A', data: { n: 1 }, id: ids[0] },
      { type: 'B', data: { n: 2 }, id: ids[1] },
    ]);
    expect(first).toEqual({ nextExpectedVersion: 2, position: 2n });
    expect(seen).toEqual(['s-1:1:1:A', 's-1:2:2:B']);
    // An idempotent retry writes nothing, so the hook does not run again.
    await store.append('s-1', [
      { type: 'A', data: { n: 1 }, id: ids[0] },
      { type: 'B', data: { n: 2 }, id: ids[1] },
    ]);
    expect(seen).toHaveLength(2);
    fail = true;
    await expect(store.append('s-2', [{ type: 'C', data: {} }])).rejects.toThrow('hook refused');
    expect((await store.readStream('s-2')).exists).toBe(false);
    expect(await store.read((db) => db.prepare("SELECT v FROM side WHERE k = 's-2'").pluck().get())).toBe(
      undefined,
    );
    remove();
    await store.append('s-2', [{ type: 'C', data: {} }]);
    expect(seen).toHaveLength(3);
  });
});
