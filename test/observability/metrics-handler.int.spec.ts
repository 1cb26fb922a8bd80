import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsHandler } from 'factum/observability';
import { Gauge, type OpenMetricsContentType, Registry, register } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** Serves `listener` on a free local port; returns the base URL. */
async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function registryWith(value: number): Registry {
  const registry = new Registry();
  new Gauge({ name: 'shop_open_orders', help: 'Orders not shipped yet.', registers: [registry] }).set(value);
  return registry;
}

describe('metricsHandler', () => {
  it('serves the registry at /metrics in the Prometheus text format, 404 elsewhere', async () => {
    const registry = registryWith(7);
    const base = await serve(metricsHandler(registry));
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toBe(await registry.metrics());
    expect(text).toContain('# TYPE shop_open_orders gauge\nshop_open_orders 7\n');
    // A query string does not change the path.
    expect((await fetch(`${base}/metrics?name[]=x`)).status).toBe(200);

    for (const path of ['/', '/metric', '/metrics/', '/health']) {
      const other = await fetch(`${base}${path}`);
      expect(other.status, path).toBe(404);
      expect(await other.text()).toBe('Not found: metrics are at /metrics\n');
    }
  });

  it('answers HEAD without a body, refuses other methods with 405, and reports a failed collection as 500', async () => {
    const registry = registryWith(1);
    new Gauge({
      name: 'shop_broken',
      help: 'A gauge whose collection fails.',
      registers: [registry],
      collect() {
        if (broken) throw new Error('database is locked');
      },
    });
    let broken = false;
    const base = await serve(metricsHandler(registry));
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    broken = true;
    const failed = await fetch(`${base}/metrics`);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('Collecting metrics failed: database is locked\n');
  });

  it("serves prom-client's global registry by default, OpenMetrics when the registry speaks it, at a chosen path", async () => {
    new Gauge({ name: 'shop_default_registry', help: 'On the global registry.' });
    try {
      const base = await serve(metricsHandler());
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('shop_default_registry 0');
    } finally {
      register.removeSingleMetric('shop_default_registry');
    }
    const open = new Registry<OpenMetricsContentType>();
    open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const base = await serve(metricsHandler(open, { path: '/internal/metrics' }));
    const response = await fetch(`${base}/internal/metrics`);
    expect(response.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    expect(await response.text()).toContain('# EOF');
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });
});
