// The code samples of docs/observability.md, run as tests (the page includes these regions verbatim).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { metricsHandler, projectionMetrics } from 'factum/observability';
import { createProjections } from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { orderSummaryProjection } from '../../examples/orders/order-summary.js';
import { tempDir } from '../support/temp.js';
import { parse } from './support/scrape.js';

const dir = tempDir('factum-docs-observability-');

describe('docs/observability.md samples', () => {
  it('serves the projection metrics over HTTP for Prometheus', async () => {
    const store = createSqliteStore(join(dir, 'orders.db'));
    const port = 0; // any free port here; a fixed one (9464) in production
    // #region serve-metrics
    const projections = await createProjections(store, { async: [orderSummaryProjection] });
    // On prom-client's global registry, beside the application's own metrics.
    const metrics = projectionMetrics(projections);
    // Prometheus scrapes http://<host>:<port>/metrics.
    const server = createServer(metricsHandler()).listen(port);
    projections.start();
    // #endregion serve-metrics
    try {
      const { position } = await store.append('order-42', [
        { type: 'OrderPlaced', data: { orderId: '42', customer: 'Ada', currency: 'EUR' } },
        { type: 'ItemAdded', data: { sku: 'book', qty: 2, price: 1250 } },
      ]);
      await projections.waitFor('order_summary', position);
      await listening(server);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const m = parse(await response.text());
      const of = { projection: 'order_summary' };
      expect(m('factum_projection_events_behind', of)).toBe(0);
      expect(m('factum_projection_sla_breached', of)).toBe(0);
      expect(m('factum_projection_sla_max_lag_seconds', of)).toBe(2);
      expect(m('factum_projection_runner_active', of)).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      metrics.close();
      await projections.stop();
      await store.close();
    }
  });
});

function listening(server: Server): Promise<void> {
  return server.listening ? Promise.resolve() : new Promise((resolve) => server.once('listening', resolve));
}
