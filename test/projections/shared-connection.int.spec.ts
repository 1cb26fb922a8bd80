import { join } from 'node:path';
import { loadCheckpoint, sqliteFollowStorage, tryAcquireLease } from 'factum/follow';
import { relayCheckpoint, relayLeaseName, sqliteInbox } from 'factum/messaging';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-shared-connection-');

describe('messaging and projections on one SQLite store connection', () => {
  it("relay checkpoints, leases and inbox records never join a projection's open transaction", async () => {
    const store = createSqliteStore(join(dir, 'shared.db'));
    store.database.exec('CREATE TABLE effects (id TEXT PRIMARY KEY)');
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    // A projection batch that awaits, then rolls back (a handler failed).
    const batch = store.transaction(
      async (db) => {
        db.prepare("INSERT INTO effects VALUES ('from-the-batch')").run();
        await held;
        throw new Error('handler failed');
      },
      { durable: false },
    );
    await sleep(5);
    const storage = sqliteFollowStorage(store);
    const inbox = sqliteInbox(store);
    const saved = storage.transaction((tx) => tx.setCheckpoint(relayCheckpoint('relay'), 42n));
    const leased = tryAcquireLease(storage, relayLeaseName('relay'), 'me', 60_000);
    const processed = inbox.process('billing', { id: 'e-1' } as never, async (tx) => {
      tx.prepare("INSERT INTO effects VALUES ('from-the-inbox')").run();
    });
    await sleep(5);
    release();
    await expect(batch).rejects.toThrow('handler failed');
    await Promise.all([saved, leased, processed]);
    expect(await loadCheckpoint(storage, relayCheckpoint('relay'))).toBe(42n);
    expect(await leased).toMatchObject({ owner: 'me' });
    expect(await processed).toBe('processed');
    expect(await inbox.has('billing', 'e-1')).toBe(true);
    expect(store.database.prepare('SELECT id FROM effects').pluck().all()).toEqual(['from-the-inbox']);
    await store.close();
  });
});
