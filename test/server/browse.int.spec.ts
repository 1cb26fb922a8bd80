import { join } from 'node:path';
import { createMemoryStore, type EventStore } from 'factum';
import { createPostgresStore } from 'factum/postgres';
import { eventJson, storeBrowser } from 'factum/server';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';

/** The operator reads (streams by prefix and category, one event, one correlation) on every store. */
function describeBrowser(name: string, skip: boolean, open: (migrate: boolean) => Promise<EventStore>) {
  describe.skipIf(skip)(`store browser (${name})`, () => {
    it('lists streams in id order by prefix or category, page by page', async () => {
      const store = await open(true);
      for (const id of ['order-2', 'order-10', 'order-1', 'order', 'orders-1', 'payment-1', 'order-1']) {
        await store.append(id, [{ type: 'Noted', data: { id } }]);
      }
      const browser = storeBrowser(store);
      const all = await browser.listStreams();
      expect(all.streams.map((s) => s.streamId)).toEqual([
        'order',
        'order-1',
        'order-10',
        'order-2',
        'orders-1',
        'payment-1',
      ]);
      expect(all.next).toBeUndefined();
      const one = all.streams.find((s) => s.streamId === 'order-1');
      expect(one?.version).toBe(2);
      expect(one?.category).toBe('order');
      const category = await browser.listStreams({ category: 'order', limit: 2 });
      expect(category.streams.map((s) => s.streamId)).toEqual(['order', 'order-1']);
      expect(category.next).toBe('order-1');
      const rest = await browser.listStreams({ category: 'order', after: category.next });
      expect(rest.streams.map((s) => s.streamId)).toEqual(['order-10', 'order-2']);
      const prefix = await browser.listStreams({ prefix: 'order-1' });
      expect(prefix.streams.map((s) => s.streamId)).toEqual(['order-1', 'order-10']);
      await expect(browser.listStreams({ limit: 0 })).rejects.toMatchObject({
        code: 'FACTUM_INVALID_ARGUMENT',
      });
      await expect(browser.listStreams({ prefix: 'a', category: 'b' })).rejects.toMatchObject({
        code: 'FACTUM_INVALID_ARGUMENT',
      });
      await store.close();
    });

    it('reads one event by id, and a flow by correlation id in log order with the event that started it', async () => {
      const store = await open(true);
      await store.append('noise-1', [{ type: 'Other', data: {}, metadata: { correlationId: 'other' } }]);
      await store.append('order-9', [{ type: 'OrderPlaced', data: { n: 1 } }]);
      const started = (await store.readStream('order-9')).events[0];
      if (started === undefined) throw new Error('no event');
      await store.append('payment-9', [
        {
          type: 'PaymentSucceeded',
          data: {},
          metadata: { correlationId: started.id, causationId: started.id },
        },
      ]);
      await store.append('order-9', [
        { type: 'OrderShipped', data: {}, metadata: { correlationId: started.id } },
      ]);
      const browser = storeBrowser(store);
      expect((await browser.readEvent(started.id))?.type).toBe('OrderPlaced');
      expect(await browser.readEvent('01a23a88-818e-75e1-b9c7-284db9d77131')).toBeUndefined();
      expect(await browser.readEvent('not-a-uuid')).toBeUndefined();
      const flow = await browser.readCorrelation(started.id);
      expect(flow.map((e) => e.type)).toEqual(['OrderPlaced', 'PaymentSucceeded', 'OrderShipped']);
      const after = await browser.readCorrelation(started.id, { after: flow[0]?.position, limit: 1 });
      expect(after.map((e) => e.type)).toEqual(['PaymentSucceeded']);
      expect(await browser.readCorrelation('nobody')).toEqual([]);
      const tail = await browser.tail(2);
      expect(tail.map((e) => e.type)).toEqual(['PaymentSucceeded', 'OrderShipped']);
      expect((await browser.tail(100)).map((e) => e.type)).toEqual([
        'Other',
        'OrderPlaced',
        'PaymentSucceeded',
        'OrderShipped',
      ]);
      await store.close();
    });

    it('writes a log page as JSON text equal to the events read and written again, where it splices stored JSON', async () => {
      const store = await open(true);
      const tricky = {
        text: 'line\nbreak "quoted" \u2028 é 😀 <script>',
        n: 1.5,
        deep: { list: [null, true, 'x'] },
      };
      await store.append('odd "stream"', [
        { type: 'Tricky', data: tricky, metadata: { correlationId: 'c-9' } },
      ]);
      await store.append('plain-1', [
        { type: 'Plain', data: {} },
        { type: 'Other', data: { list: [1, 2] } },
      ]);
      const browser = storeBrowser(store);
      if (browser.readLogJson === undefined) return;
      const page = await browser.readLogJson({ after: 0n, limit: 2 });
      const read = await store.readAll({ after: 0n, limit: 2 });
      expect(JSON.parse(page.json)).toEqual(read.events.map(eventJson));
      expect(page.last).toBe(read.last);
      const filtered = await browser.readLogJson({ after: 0n, types: ['Other'] });
      expect(JSON.parse(filtered.json).map((e: { type: string }) => e.type)).toEqual(['Other']);
      await expect(browser.readLogJson({ after: -1n })).rejects.toMatchObject({
        code: 'FACTUM_INVALID_ARGUMENT',
      });
      await store.close();
    });

    it('reads correlations from a store opened without migrating (no index, same answer)', async () => {
      const store = await open(false);
      await store.append('x-1', [{ type: 'A', data: {}, metadata: { correlationId: 'c-1' } }]);
      expect((await storeBrowser(store).readCorrelation('c-1')).map((e) => e.type)).toEqual(['A']);
      await store.close();
    });
  });
}

describeBrowser('memory', false, async () => createMemoryStore());

const dir = tempDir('factum-browse-');
let n = 0;
describeBrowser('SQLite', false, async () => createSqliteStore(join(dir, `browse-${++n}.db`)));

const postgres = await probePostgres();
const { pool, dropLater } = testPool();
const nextSchema = schemaNamer('factum_browse');
describeBrowser('PostgreSQL', !postgres.available, async (migrate) => {
  const schema = nextSchema();
  dropLater(schema);
  // A store that does not migrate still needs the event tables: create them, then reopen without migrating.
  await createPostgresStore({ pool, schema, migrate: true });
  return createPostgresStore({ pool, schema, migrate });
});
