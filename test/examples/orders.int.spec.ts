import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ConcurrencyError, createMemoryStore, openStore } from 'factum';
import { describe, expect, it } from 'vitest';
import { runOrder } from '../../examples/orders/orders.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-example-');

describe('orders example', () => {
  it('places, fills and ships an order, and folds it into state', async () => {
    const store = await openStore(`sqlite:${join(dir, 'orders.db')}`);
    const { events, version, state } = await runOrder(store, '42');
    expect(version).toBe(4);
    expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'ItemAdded', 'ItemAdded', 'OrderShipped']);
    expect(state).toEqual({
      status: 'shipped',
      customer: 'Ada',
      items: [
        { sku: 'BOOK-1', qty: 2, price: 1250 },
        { sku: 'PEN-7', qty: 1, price: 499 },
      ],
      total: 2999,
    });
    expect(events.every((e) => e.metadata.correlationId === 'checkout-42')).toBe(true);
    await store.close();
  });

  it('refuses to place the same order twice', async () => {
    const store = createMemoryStore();
    await runOrder(store, '7');
    await expect(runOrder(store, '7')).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await store.readStream('order-7')).version).toBe(4);
    await store.close();
  });

  it('runs as `npm start` does, on a fresh SQLite file, twice', () => {
    const env = { ...process.env, FACTUM_STORE_URL: `sqlite:${join(dir, 'start.db')}` };
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', 'examples/orders/main.ts'], {
        env,
        encoding: 'utf8',
        cwd: new URL('../..', import.meta.url).pathname,
      });
    const first = run();
    expect(first).toMatch(/Stream order-\d+ \(version 4\)/);
    expect(first).toMatch(/"status":"shipped"/);
    const second = run();
    expect(second).toMatch(/Global log \(last 8 events/);
  });
});
