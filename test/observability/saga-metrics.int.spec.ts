import { join } from 'node:path';
import { sagaMetrics } from 'factum/observability';
import { createSagas, defineSaga } from 'factum/sagas';
import { createSqliteStore } from 'factum/sqlite';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { fulfilmentServices, orderFulfilment } from '../../examples/sagas/order-fulfilment.js';
import { waitUntil } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';
import { scrape } from './support/scrape.js';

const dir = tempDir('factum-saga-metrics-');

describe('sagaMetrics', () => {
  it('counts instances by status from the index, inputs applied, parked instances and fired timeouts', async () => {
    const store = createSqliteStore(join(dir, 'shop.db'));
    let now = Date.parse('2026-01-01T00:00:00Z');
    const fragile = defineSaga({
      name: 'fragile',
      version: 1,
      startedBy: ['Begun'],
      correlate: (e) => (e.data as { id?: string }).id,
      steps: [
        {
          name: 'wait',
          action: ({ start }) => {
            if (start.data.poison) throw new Error('bad order');
            return { type: 'Ask', data: {} };
          },
          awaits: { success: ['Answered'], timeout: 1_000 },
        },
      ],
    });
    const sagas = await createSagas(store, {
      sagas: [orderFulfilment, fragile],
      reactors: fulfilmentServices(store, { declineAbove: 500 }),
      now: () => now,
      timeoutPollMs: 20,
    });
    const registry = new Registry();
    const metrics = sagaMetrics(sagas, { registry });
    sagas.start();
    try {
      await store.append('order-1', [{ type: 'OrderPlaced', data: { orderId: '1', total: 10, items: [] } }]);
      await store.append('order-2', [{ type: 'OrderPlaced', data: { orderId: '2', total: 900, items: [] } }]);
      await store.append('begin-a', [{ type: 'Begun', data: { id: 'a', poison: true } }]);
      await store.append('begin-b', [{ type: 'Begun', data: { id: 'b' } }]);
      await waitUntil(
        async () =>
          (await sagas.count({ name: 'order_fulfilment', state: 'running' })) === 0 &&
          (await sagas.count()) === 4,
        10_000,
      );
      now += 5_000;
      await waitUntil(
        async () => (await sagas.count({ name: 'fragile', state: 'compensated' })) === 1,
        10_000,
      );
      const s = await scrape(registry);
      expect(s('factum_saga_instances', { saga: 'order_fulfilment', status: 'completed' })).toBe(1);
      expect(s('factum_saga_instances', { saga: 'order_fulfilment', status: 'compensated' })).toBe(1);
      expect(s('factum_saga_instances', { saga: 'fragile', status: 'parked' })).toBe(1);
      expect(s('factum_saga_parked_total', { saga: 'fragile' })).toBe(1);
      expect(s('factum_saga_timeouts_fired_total', { saga: 'fragile' })).toBe(1);
      expect(s('factum_saga_timeout_delay_max_seconds', { saga: 'fragile' })).toBeGreaterThanOrEqual(4);
      expect(s('factum_saga_inputs_applied_total', { saga: 'order_fulfilment' })).toBe(6);
      expect(s('factum_reactor_dead_lettered_total')).toBeUndefined();
    } finally {
      metrics.close();
      await sagas.stop();
      await store.close();
    }
  });
});
