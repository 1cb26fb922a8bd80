import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes } from 'factum';
import { sqliteFollowStorage, tryAcquireLease } from 'factum/follow';
import { sqliteInbox, sqliteOutbox } from 'factum/messaging';
import { migrate } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-sqlite-full-');

describe('SQLite messaging storage on a full disk', () => {
  it('every write fails with a retriable StoreUnavailableError (SQLITE_FULL), like the store’s own', async () => {
    const db = new Database(join(dir, 'full.db'));
    migrate(db);
    const storage = sqliteFollowStorage(db);
    const outbox = sqliteOutbox(db);
    const inbox = sqliteInbox(db);
    // No page more than the file has now: the next write that needs one finds the disk full.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    const big = 'x'.repeat(100_000);
    const unavailable = {
      code: ErrorCodes.STORE_UNAVAILABLE,
      retriable: true,
      cause: { code: 'SQLITE_FULL' },
    };
    await expect(tryAcquireLease(storage, { name: big, scope: big }, 'relay-1', 1000)).rejects.toMatchObject(
      unavailable,
    );
    await expect(storage.transaction((tx) => tx.setCheckpoint(big, 1n))).rejects.toMatchObject(unavailable);
    await expect(inbox.process(big, { id: 'e1' }, () => {})).rejects.toMatchObject(unavailable);
    await expect(outbox.prune({ olderThan: 0 })).resolves.toBe(0);
    expect(db.inTransaction).toBe(false);
    db.close();
  });
});
