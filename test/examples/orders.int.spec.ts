import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createMemoryStore, ErrorCodes, openStore } from 'factum';
import { deciderSpec } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { OrderRuleError, orderDecider } from '../../examples/orders/order.js';
import { runOrder, writeLegacyOrder } from '../../examples/orders/orders.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-example-');

describe('orders example', () => {
  it('places, fills and ships an order; shows the state then and now and who did what', async () => {
    const raw = await openStore(`sqlite:${join(dir, 'orders.db')}`);
    const { events, version, state, asPlaced, audit } = await runOrder(raw, '42');
    expect(version).toBe(4);
    expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'ItemAdded', 'ItemAdded', 'OrderShipped']);
    expect(events[0]).toMatchObject({
      schemaVersion: 2,
      data: { orderId: '42', customer: 'Ada', currency: 'EUR' },
    });
    expect(state).toEqual({
      status: 'shipped',
      customer: 'Ada',
      currency: 'EUR',
      items: [
        { sku: 'BOOK-1', qty: 2, price: 1250 },
        { sku: 'PEN-7', qty: 1, price: 499 },
      ],
      total: 2999,
    });
    expect(asPlaced).toMatchObject({ status: 'placed', total: 2500 });
    expect(audit.map((a) => [a.what, a.who])).toEqual([
      ['OrderPlaced', 'alice'],
      ['ItemAdded', 'alice'],
      ['ItemAdded', 'alice'],
      ['OrderShipped', 'alice'],
    ]);
    expect(events.every((e) => e.metadata.correlationId === 'checkout-42')).toBe(true);
    await raw.close();
  });

  it('reads an order stored at schema v1 as v2 with the USD default, leaving the row as it was', async () => {
    const raw = createMemoryStore();
    await writeLegacyOrder(raw, 'old');
    const { store } = await runOrder(raw, 'new');
    const [read] = (await store.readStream('order-old')).events;
    const [stored] = (await raw.readStream('order-old')).events;
    expect(read).toMatchObject({
      schemaVersion: 2,
      data: { orderId: 'old', customer: 'Grace', currency: 'USD' },
    });
    expect(stored).toMatchObject({ schemaVersion: 1, data: { orderId: 'old', customer: 'Grace' } });
  });

  it('refuses an event that breaks its schema, writing nothing', async () => {
    const raw = createMemoryStore();
    const { store } = await runOrder(raw, '1');
    await expect(
      store.append('order-2', [{ type: 'ItemAdded', data: { sku: '', qty: 0, price: -1 } }]),
    ).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_VALIDATION });
    expect((await raw.readStream('order-2')).exists).toBe(false);
  });

  it('keeps its business rules in decide', () => {
    const given = deciderSpec(orderDecider);
    given([])
      .when({ type: 'PlaceOrder', orderId: '9', customer: 'Ada', currency: 'USD' })
      .then([{ type: 'OrderPlaced', data: { orderId: '9', customer: 'Ada', currency: 'USD' } }]);
    given([{ type: 'OrderPlaced', data: { orderId: '9', customer: 'Ada', currency: 'USD' } }])
      .when({ type: 'ShipOrder', carrier: 'DHL' })
      .thenThrows(OrderRuleError);
    given([])
      .when({ type: 'AddItem', sku: 'A', qty: 1, price: 1 })
      .thenThrows((e: unknown) => e instanceof OrderRuleError && /order that is none/.test(e.message));
  });

  it('refuses to place the same order twice', async () => {
    const raw = createMemoryStore();
    await runOrder(raw, '7');
    await expect(runOrder(raw, '7')).rejects.toBeInstanceOf(OrderRuleError);
    expect((await raw.readStream('order-7')).version).toBe(4);
  });

  it('runs as `npm run example:orders` does, on a fresh SQLite file, twice', () => {
    const env = { ...process.env, FACTUM_STORE_URL: `sqlite:${join(dir, 'start.db')}` };
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', 'examples/orders/main.ts'], {
        env,
        encoding: 'utf8',
        cwd: new URL('../..', import.meta.url).pathname,
      });
    const first = run();
    expect(first).toMatch(/Stream order-\d+ \(version 4\)/);
    expect(first).toMatch(/State now: +\{"status":"shipped"/);
    expect(first).toMatch(
      /read as \(schema v2\): \{"orderId":"legacy-1","customer":"Grace","currency":"USD"\}/,
    );
    const second = run();
    expect(second).toMatch(/Global log \(last 8 events/);
  });
});

describe('orders example: schema contract', () => {
  it('matches its committed lock file (npm run schema:check)', () => {
    const out = execFileSync('npm', ['run', '--silent', 'schema:check'], {
      cwd: new URL('../..', import.meta.url).pathname,
      encoding: 'utf8',
    });
    expect(out).toMatch(/Schemas match examples\/orders\/factum.schema.lock.json/);
  });
});
