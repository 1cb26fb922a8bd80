import { join } from 'node:path';
import { createMemoryStore, openStore } from 'factum';
import { memoryProjectionStorage, projectionStatus } from 'factum/projections';
import { describe, expect, it } from 'vitest';
import { type OrderSummary, startOrderSummaries } from '../../examples/orders/order-summary.js';
import { runOrder, writeLegacyOrder } from '../../examples/orders/orders.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-order-summary-');

describe('orders example: OrderSummaryProjection', () => {
  it('keeps one summary per order, readable right after waitFor, within its SLA (SQLite)', async () => {
    const store = await openStore(`sqlite:${join(dir, 'orders.db')}`);
    const alerts: unknown[] = [];
    const projections = await startOrderSummaries(store, { onAlert: (a) => alerts.push(a) });
    try {
      await runOrder(store, '1');
      // Written by an old version of the application: OrderPlaced v1, without a currency.
      await writeLegacyOrder(store, '2');
      // #region order-summary-read
      const { position } = await store.append('order-2', [
        { type: 'ItemAdded', data: { sku: 'LAMP-3', qty: 1, price: 3999 } },
      ]);
      await projections.waitFor('order_summary', position); // read-your-writes
      const summaries = projections.documents<OrderSummary>('order_summaries');
      const placed = await summaries.find({ status: 'placed' }, { orderBy: ['total', 'desc'] });
      // placed → [{ orderId: '2', customer: 'Grace', currency: 'USD', total: 3999, status: 'placed' }]
      // #endregion order-summary-read
      expect(placed).toEqual([
        { orderId: '2', customer: 'Grace', currency: 'USD', total: 3999, status: 'placed' },
      ]);
      expect(await summaries.get('1')).toEqual({
        orderId: '1',
        customer: 'Ada',
        currency: 'EUR',
        total: 2999,
        status: 'shipped',
      });
      expect(await summaries.count({ customer: 'Ada' })).toBe(1);
      const [status] = await projectionStatus(store, { name: 'order_summary' });
      expect(status).toMatchObject({ sla: { maxLagMs: 2_000 }, breached: false, behind: 0, deadLetters: 0 });
      expect(alerts).toEqual([]);
    } finally {
      await projections.stop();
      await store.close();
    }
  });

  it('runs unchanged on the memory store', async () => {
    const store = createMemoryStore();
    const projections = await startOrderSummaries(store, { storage: memoryProjectionStorage(store) });
    const { streamId } = await runOrder(store, '9');
    const head = (await store.readStream(streamId)).events.at(-1)!.position;
    await projections.waitFor('order_summary', head);
    expect(await projections.documents('order_summaries').get('9')).toMatchObject({
      total: 2999,
      status: 'shipped',
    });
    await projections.stop();
    await store.close();
  });
});
