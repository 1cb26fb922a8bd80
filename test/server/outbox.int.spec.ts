import { join } from 'node:path';
import { sqliteOutbox } from 'factum/messaging';
import { hashToken, serve } from 'factum/server';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-server-outbox-');

describe('the API over a state-based outbox (SQLite)', () => {
  it('counts the outbox rows no relay has published yet', async () => {
    const store = createSqliteStore(join(dir, 'outbox.db'));
    const outbox = sqliteOutbox(store);
    const db = store.database;
    db.transaction(() => {
      outbox.enqueue(db, { streamId: 'order-1', type: 'OrderPlaced', data: { orderId: '1' } });
      outbox.enqueue(db, { streamId: 'order-2', type: 'OrderPlaced', data: { orderId: '2' } });
    })();
    const server = await serve({
      store,
      outbox,
      port: 0,
      tokensFromEnv: false,
      tokens: [{ name: 'v', role: 'viewer', sha256: hashToken('viewer-secret') }],
    });
    try {
      const response = await fetch(`${server.url}/api/v1/messaging`, {
        headers: { authorization: 'Bearer viewer-secret' },
      });
      expect(((await response.json()) as { outbox: unknown }).outbox).toEqual({ pending: 2 });
    } finally {
      await server.close();
      await store.close();
    }
  });
});
