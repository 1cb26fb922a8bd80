import { join } from 'node:path';
import { ErrorCodes, openStore } from 'factum';
import { migrate } from 'factum/postgres';
import { describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from './support/postgres.js';
import { services } from './support/services.js';
import { tempDir } from './support/temp.js';

const dir = tempDir('factum-open-');
const postgres = await probePostgres();

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

describe('openStore: store URL parameters', () => {
  it('refuses a query parameter it does not read, without connecting', async () => {
    for (const url of [
      'postgres://postgres@127.0.0.1:1/test?schem=abc',
      'postgresql://postgres:secret@127.0.0.1:1/test?sslmode=disable&max=5',
      `sqlite:${join(dir, 'q.db')}?mode=ro`,
    ]) {
      const error = await openStore(url).then(
        () => undefined,
        (e: unknown) => e as Error & { code: string; url: string },
      );
      expect(error, url).toMatchObject({ code: ErrorCodes.UNSUPPORTED_STORE_URL });
      expect(error?.message).toMatch(/query parameter (schem|max|mode)/);
      expect(error?.message).not.toContain('secret');
      expect(error?.url).not.toContain('secret');
    }
  });

  it('refuses a ?schema= that the schema option contradicts, or one given twice or empty', async () => {
    const base = 'postgres://postgres@127.0.0.1:1/test';
    await expect(openStore(`${base}?schema=a`, { schema: 'b' })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: expect.stringContaining('the store URL says schema=a and the schema option says b'),
    });
    for (const url of [`${base}?schema=a&schema=b`, `${base}?schema=`]) {
      await expect(openStore(url), url).rejects.toMatchObject({ code: ErrorCodes.UNSUPPORTED_STORE_URL });
    }
  });

  describe.skipIf(!postgres.available)('PostgreSQL', () => {
    const { pool, dropLater } = testPool();
    const nextSchema = schemaNamer('factum_openurl');

    it('opens the schema named by ?schema=, alone or agreeing with the schema option', async () => {
      const schema = nextSchema();
      dropLater(schema);
      await migrate({ pool, schema });
      const url = `${services.postgres}${services.postgres.includes('?') ? '&' : '?'}schema=${schema}`;
      const store = await openStore(url);
      try {
        await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
      } finally {
        await store.close();
      }
      const rows = await pool.query(`SELECT stream_id FROM "${schema}".factum_events`);
      expect(rows.rows).toEqual([{ stream_id: 'order-1' }]);
      const again = await openStore(url, { schema });
      expect((await again.readStream('order-1')).version).toBe(1);
      await again.close();
    });
  });
});
