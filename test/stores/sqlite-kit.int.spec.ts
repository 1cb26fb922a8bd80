import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, StoreUnavailableError } from 'factum';
import { describe, expect, it } from 'vitest';
import { translate, writeTransaction } from '../../src/stores/sqlite/kit.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-sqlite-kit-');
let files = 0;

function open(): Database.Database {
  const db = new Database(join(dir, `kit-${++files}.db`));
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
  return db;
}
const ids = (db: Database.Database) =>
  db
    .prepare<[], { id: number }>('SELECT id FROM t ORDER BY id')
    .all()
    .map((r) => r.id);

describe('SQLite kit', () => {
  it('writeTransaction commits what the task wrote and returns its value', async () => {
    const db = open();
    const value = await writeTransaction(db, 'write t', (tx) => {
      tx.prepare('INSERT INTO t VALUES (1), (2)').run();
      return 'done';
    });
    expect(value).toBe('done');
    expect(ids(db)).toEqual([1, 2]);
    expect(db.inTransaction).toBe(false);
  });

  it('rolls back when the task throws (its own error unchanged) or asks for it; an awaiting task is fine', async () => {
    const db = open();
    const own = new Error('refused by the task');
    await expect(
      writeTransaction(db, 'write t', async (tx) => {
        tx.prepare('INSERT INTO t VALUES (1)').run();
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw own;
      }),
    ).rejects.toBe(own);
    const value = await writeTransaction(db, 'write t', async (tx, control) => {
      tx.prepare('INSERT INTO t VALUES (2)').run();
      control.rollbackOnly();
      return 'duplicate';
    });
    expect(value).toBe('duplicate');
    expect(ids(db)).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it('refuses, retriably, while a transaction is open on the connection, and leaves that one alone', async () => {
    const db = open();
    db.exec('BEGIN');
    db.prepare('INSERT INTO t VALUES (1)').run();
    const refused = writeTransaction(db, 'write t', () => 'never');
    await expect(refused).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(refused).rejects.toMatchObject({
      retriable: true,
      message: expect.stringContaining('write t'),
    });
    expect(db.inTransaction).toBe(true);
    db.exec('COMMIT');
    expect(ids(db)).toEqual([1]);
  });

  it('translates busy, locked, I/O and full-disk driver errors into a retriable StoreUnavailableError', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL']) {
      const driver = Object.assign(new Error('driver says no'), { code });
      expect(translate(driver, 'write t')).toMatchObject({
        code: ErrorCodes.STORE_UNAVAILABLE,
        retriable: true,
        cause: driver,
        message: 'SQLite could not write t: driver says no',
      });
    }
    const other = Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(translate(other, 'write t')).toBe(other);
  });
});
