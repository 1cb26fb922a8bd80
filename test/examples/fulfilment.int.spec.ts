import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { startFulfilment } from '../../examples/fulfilment/system.js';
import { waitUntil } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-fulfilment-');
const root = new URL('../../', import.meta.url).pathname;
const lease = { strategy: 'row' as const, ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 };

describe.each(['orchestrated', 'choreographed'] as const)('order fulfilment (%s, SQLite)', (mode) => {
  it('runs 500 orders with 10% declines and stock-outs to the end, every invariant holding', async () => {
    const store = createSqliteStore(join(dir, `${mode}.db`));
    const system = await startFulfilment(store, {
      mode,
      declineRate: 0.1,
      carrierDelayRate: 0.05,
      // Little restocking: desks (and more) run out, so some orders find no stock.
      restockScale: 0.2,
      restockEveryMs: 1_000,
      runtime: { lease },
    });
    try {
      expect(await system.generate({ perSecond: 200, count: 500 })).toBe(500);
      await waitUntil(() => system.settled(), 60_000);
      const checks = await system.checks();
      for (const check of checks) expect(check.ok, `${check.name}: ${check.detail}`).toBe(true);
      expect(checks.length).toBe(mode === 'orchestrated' ? 6 : 5);
      const t = await system.totals();
      expect(t.placed).toBe(500);
      expect(t.shipped + t.cancelled).toBe(500);
      // The failures happened: declines (no charge) and stock-outs (charged, then refunded).
      expect(t.cancelled).toBeGreaterThan(50);
      expect(t.stockShort).toBeGreaterThan(0);
      expect(t.refunded).toBeGreaterThan(0);
      expect(t.cancelledRefunded).toBe(t.cancelledCharged);
      if (mode === 'orchestrated') {
        // Late carriers timed the shipping step out; it was sent again and the order still shipped.
        const timedOut = await store.readAll({ types: ['SagaTimeoutFired'], limit: 1_000 });
        expect(timedOut.events.length).toBeGreaterThan(0);
      }
    } finally {
      await system.stop();
      await store.close();
    }
  });
});

describe('npm start', () => {
  it('runs the system with its dashboard, stops on its own after --orders, and carries on at the next start', async () => {
    const url = `sqlite:${join(dir, 'main.db')}`;
    const run = async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'examples/fulfilment/main.ts', '--orders', '60', '--rate', '100', '--port', '0'],
        { cwd: root, env: { ...process.env, FACTUM_STORE_URL: url, FACTUM_TOKENS: '' }, timeout: 60_000 },
      );
      return stdout;
    };
    const first = await run();
    expect(first).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+/);
    expect(first).toMatch(/sign in with this admin token/);
    expect(first).toMatch(/ok {2}every order ends shipped or cancelled within its SLA: 60 placed/);
    expect(first).not.toContain('BROKEN');
    const second = await run();
    expect(second).toMatch(/ok {2}every order ends shipped or cancelled within its SLA: 120 placed/);
    expect(second).not.toContain('BROKEN');
  }, 120_000);
});
