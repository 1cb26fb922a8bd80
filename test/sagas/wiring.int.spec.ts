import { join } from 'node:path';
import { createSagas } from 'factum/sagas';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { choreographedServices } from '../../examples/sagas/choreography.js';
import { fulfilmentServices, orderFulfilment } from '../../examples/sagas/order-fulfilment.js';
import { waitUntil } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-saga-wiring-');

describe('wiring sagas (docs/sagas.md)', () => {
  it('orchestration: the saga and its services on one SQLite store', async () => {
    // #region sagas-wiring
    const store = createSqliteStore(join(dir, 'shop.db'));
    const sagas = await createSagas(store, {
      sagas: [orderFulfilment],
      reactors: fulfilmentServices(store), // payments, inventory, shipping, orders
    });
    sagas.start(); // one active runner per saga and reactor, the timeout scheduler, the saga index

    await store.append('order-42', [
      { type: 'OrderPlaced', data: { orderId: '42', total: 4999, items: [{ sku: 'LAMP', qty: 1 }] } },
    ]);
    // Moments later, sagas.get('order_fulfilment', '42') has status 'completed' and its stream
    // SagaStarted, SagaStepDispatched, ChargePayment, …, SagaCompleted.
    // #endregion sagas-wiring
    await waitUntil(async () => (await sagas.get('order_fulfilment', '42'))?.status === 'completed', 10_000);
    await sagas.stop();
    await store.close();
  });

  it('choreography: the same flow as reactions, compensation included', async () => {
    const store = createSqliteStore(join(dir, 'choreo.db'));
    const stock = new Map([['LAMP', 1]]);
    const sagas = await createSagas(store, {
      reactors: choreographedServices({ declineAbove: 1_000, stock }),
    });
    sagas.start();
    try {
      await store.append('order-1', [
        { type: 'OrderPlaced', data: { orderId: '1', total: 10, items: [{ sku: 'LAMP', qty: 1 }] } },
      ]);
      await store.append('order-2', [
        { type: 'OrderPlaced', data: { orderId: '2', total: 10, items: [{ sku: 'LAMP', qty: 1 }] } },
      ]);
      await store.append('order-3', [
        { type: 'OrderPlaced', data: { orderId: '3', total: 5_000, items: [] } },
      ]);
      await waitUntil(async () => (await store.readStream('shipment-1')).exists, 10_000);
      await waitUntil(async () => (await store.readStream('order-2')).version === 2, 10_000);
      await waitUntil(async () => (await store.readStream('order-3')).version === 2, 10_000);
      const types = async (id: string) => (await store.readStream(id)).events.map((e) => e.type);
      expect(await types('payment-2')).toEqual(['PaymentSucceeded', 'PaymentRefunded']);
      expect(await types('order-2')).toEqual(['OrderPlaced', 'OrderCancelled']);
      expect(await types('order-3')).toEqual(['OrderPlaced', 'OrderCancelled']);
      // Every reaction carries the flow's correlation (the order's first event) and its cause.
      const placed = (await store.readStream('order-2')).events[0]!;
      for (const stream of ['payment-2', 'inventory-2']) {
        for (const e of (await store.readStream(stream)).events)
          expect(e.metadata.correlationId).toBe(placed.id);
      }
    } finally {
      await sagas.stop();
      await store.close();
    }
  });
});
