import { join } from 'node:path';
import { ErrorCodes, openStore } from 'factum';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/temp.js';

const dir = tempDir('factum-open-');

describe('openStore', () => {
  it('opens memory:, sqlite::memory: and sqlite:<path>, creating folders', async () => {
    for (const url of ['memory:', 'sqlite::memory:', `sqlite:${join(dir, 'nested', 'app.db')}`]) {
      const store = await openStore(url);
      await store.append('order-1', [{ type: 'OrderPlaced', data: { url } }]);
      expect((await store.readStream('order-1')).version).toBe(1);
      await store.close();
    }
  });

  it('keeps data in a sqlite file across opens', async () => {
    const url = `sqlite:${join(dir, 'kept.db')}`;
    const first = await openStore(url);
    await first.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
    await first.close();
    const second = await openStore(url);
    expect((await second.readStream('order-1')).version).toBe(1);
    await second.close();
  });

  it('refuses unknown URLs with a typed error', async () => {
    for (const url of ['mysql://x', 'sqlite:', '', 'memory']) {
      await expect(openStore(url)).rejects.toMatchObject({ code: ErrorCodes.UNSUPPORTED_STORE_URL });
    }
  });
});
