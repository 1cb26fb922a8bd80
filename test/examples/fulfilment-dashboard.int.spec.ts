/**
 * The main job in a browser: the fulfilment system running (orders flowing through the saga, some
 * compensated) with its dashboard, the invariants shown and green. Its overview screenshot is the one
 * README shows: FACTUM_UPDATE_SCREENSHOTS=1 copies it to docs/images/dashboard.png.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken, serve } from 'factum/server';
import { describe, expect, it } from 'vitest';
import { ALL_GROUPS } from '../../examples/fulfilment/service.js';
import { chromiumAvailable, launchChromium, SHOTS } from '../support/browser.js';
import { waitUntil } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';
import { startTestSystem } from './fulfilment-support.js';

const hasChromium = chromiumAvailable('the fulfilment dashboard test');
const dir = tempDir('factum-fulfilment-ui-');

describe.skipIf(!hasChromium)('the fulfilment dashboard', () => {
  it('shows orders flowing through the saga, some compensated, with every invariant holding', async () => {
    const system = await startTestSystem(dir, `sqlite:${join(dir, 'bus.db')}`, { declineRate: 0.08 });
    const board = system.board!;
    // As `npm start` serves it: the board's copy of every stream, saga actions on the orders service.
    const server = await serve({
      store: board.store,
      projections: board.projections,
      sagaStore: system.stores.orders,
      broker: system.broker,
      groups: ALL_GROUPS,
      relays: [],
      checks: () => board.checks(),
      port: 0,
      tokensFromEnv: false,
      tokens: [{ name: 'ops', role: 'admin', sha256: hashToken('fulfilment-admin-token') }],
    });
    const stop = new AbortController();
    const generating = system.generate({ perSecond: 40, signal: stop.signal });
    const browser = await launchChromium();
    try {
      await waitUntil(async () => ((await board.totals())?.cancelled ?? 0) > 3, 20_000);
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
      await page.goto(`${server.url}/#/`);
      await page.getByTestId('login-token').fill('fulfilment-admin-token');
      await page.getByTestId('login-submit').click();
      const checks = page.getByTestId('checks');
      await checks.waitFor();
      await checks.getByText('all hold').waitFor({ timeout: 10_000 });
      expect(await checks.locator('li[data-ok="false"]').count()).toBe(0);
      expect(await checks.locator('li[data-ok="true"]').count()).toBe(6);
      await page.getByTestId('saga-state-compensated').waitFor();
      await page.getByTestId('saga-state-completed').waitFor();
      // The event rate needs two polls of the head (2 s apart).
      await expect
        .poll(async () => page.getByTestId('event-rate').textContent(), { timeout: 10_000 })
        .not.toContain('…');
      const shot = join(SHOTS, 'fulfilment-overview.png');
      await page.screenshot({ path: shot, fullPage: true });
      if (process.env.FACTUM_UPDATE_SCREENSHOTS === '1') {
        const images = new URL('../../docs/images/', import.meta.url).pathname;
        mkdirSync(images, { recursive: true });
        copyFileSync(shot, join(images, 'dashboard.png'));
      }
    } finally {
      stop.abort();
      await generating;
      await browser.close();
      await server.close();
      await system.close();
    }
  }, 60_000);
});
