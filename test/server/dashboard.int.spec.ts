/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real server
 * on a SQLite file: sign-in, browsing, correlations, dead-letter retry, a rebuild's progress, the
 * live tail, event data shown as text only, and a viewer's 403s. A screenshot of each page goes to
 * .factum/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, SHOTS } from '../support/browser.js';
import { type Fixture, startFixture, TOKENS, TRACE_ID } from './support/fixture.js';

const XSS = '<script>window.__xss=1</script>';

const hasChromium = chromiumAvailable('the dashboard tests');

describe.skipIf(!hasChromium)('dashboard in a browser', () => {
  let fixture: Fixture;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  /** Uncaught errors and CSP violations in any page: each test ends with none. */
  const problems: string[] = [];

  const watch = (p: Page) => {
    p.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    p.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text())) {
        problems.push(`csp: ${message.text()}`);
      }
    });
  };
  const newPage = async (context: BrowserContext) => {
    const p = await context.newPage();
    watch(p);
    return p;
  };
  const go = (p: Page, hash: string) => p.goto(`${fixture.url}/${hash}`);
  const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  const xss = (p: Page) => p.evaluate(() => (globalThis as { __xss?: unknown }).__xss);
  const login = async (p: Page, token: string) => {
    await go(p, '#/');
    await p.getByTestId('login-token').fill(token);
    await p.getByTestId('login-submit').click();
    await p.getByTestId('nav').waitFor();
  };
  const giveReason = async (p: Page, reason: string) => {
    await p.getByTestId('reason-input').fill(reason);
    await p.getByTestId('reason-submit').click();
  };

  beforeAll(async () => {
    [fixture, browser] = await Promise.all([startFixture(), launchChromium()]);
    admin = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    page = await newPage(admin);
  });

  beforeEach(() => {
    problems.length = 0;
  });

  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it('signs in with a token (kept out of the URL and storage), then shows the overview', async () => {
    await go(page, '#/');
    await page.getByTestId('login-form').waitFor();
    await shot(page, 'login');
    await page.getByTestId('login-token').fill('not-a-token');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();

    await page.getByTestId('login-token').fill(TOKENS.admin);
    await page.getByTestId('login-submit').click();
    expect(await page.getByTestId('user-name').textContent()).toBe('admin-user');
    expect(await page.getByTestId('user-role').textContent()).toBe('admin');
    expect(page.url()).not.toContain(TOKENS.admin);
    const stored = await page.evaluate(() => {
      const s = (globalThis as unknown as { localStorage: { length: number; key(i: number): string | null } })
        .localStorage;
      const values: string[] = [];
      for (let i = 0; i < s.length; i++) values.push(String(s.key(i)));
      return values.join(',');
    });
    expect(stored).not.toContain('token');
    const cookies = await admin.cookies();
    expect(cookies.find((c) => c.name === 'factum_session')?.httpOnly).toBe(true);

    // Overview: the head, a rate from two polls, the lag of each projection, dead letters, sagas.
    expect(Number(await page.getByTestId('head').textContent())).toBeGreaterThan(0);
    await page.getByTestId('overview-projections').getByText('order_totals').waitFor();
    await page.locator('[data-testid="event-rate"]:not(:text-is("…"))').waitFor({ timeout: 6_000 });
    expect(await page.getByTestId('dead-letter-count').textContent()).toBe('1');
    expect(await page.getByTestId('saga-state-compensated').textContent()).toBe('1');
    expect(await page.locator('meter').count()).toBeGreaterThan(0);
    await shot(page, 'overview-light');

    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'overview-dark');
    // The toggle overrides the system theme and is remembered.
    await page.getByTestId('theme-toggle').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    await page.reload();
    await page.getByTestId('nav').waitFor();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    await page.getByTestId('theme-toggle').click();
    await page.emulateMedia({ colorScheme: 'light' });
    expect(problems).toEqual([]);
  });

  it('browses a stream by prefix and opens an event', async () => {
    await go(page, '#/streams');
    await page.getByTestId('stream-list').waitFor();
    await page.getByTestId('search-input').fill('order-');
    await page.getByTestId('search-submit').click();
    await page.waitForURL(/mode=prefix&q=order-/);
    const rows = page.getByTestId('stream-row');
    await rows.filter({ hasText: 'order-o-3' }).waitFor();
    expect(await rows.count()).toBe(3);
    await shot(page, 'streams');

    await page.getByRole('link', { name: 'order-o-1', exact: true }).click();
    await page.getByTestId('stream-id').getByText('order-o-1').waitFor();
    await page.getByTestId('event-row').first().waitFor();
    await shot(page, 'stream');
    await page.getByTestId('event-link').first().click();
    await page.getByTestId('event-type').getByText('OrderPlaced').waitFor();
    expect(await page.getByTestId('event-data').textContent()).toContain('"orderId": "o-1"');
    // The link to the event's trace, in a new tab of the configured trace viewer.
    const traceLink = page.getByTestId('trace-link');
    expect(await traceLink.textContent()).toBe(TRACE_ID);
    expect(await traceLink.getAttribute('href')).toBe(`http://127.0.0.1:16686/trace/${TRACE_ID}`);
    expect(await traceLink.getAttribute('target')).toBe('_blank');
    await shot(page, 'event');

    // By event type, through the global log.
    await go(page, '#/streams?mode=type&q=PaymentFailed');
    await page.getByTestId('event-list').getByText('payment-o-2').waitFor();
    expect(problems).toEqual([]);
  });

  it('follows a correlation: the flow, its saga, and the causation and correlation links', async () => {
    await go(page, '#/streams');
    await page.getByTestId('search-mode').selectOption('correlation');
    await page.getByTestId('search-input').fill('o-2');
    await page.getByTestId('search-submit').click();
    await page.waitForURL(/#\/correlations\/o-2$/);
    const flow = page.getByTestId('flow-events');
    await flow.getByText('PaymentFailed').waitFor();
    expect(await flow.getByTestId('event-row').count()).toBeGreaterThan(3);
    expect(await page.getByTestId('published-flag').count()).toBeGreaterThan(0);
    await page.getByTestId('flow-saga').getByText('order_fulfilment', { exact: true }).waitFor();
    await shot(page, 'correlation');

    await flow.getByRole('link', { name: 'SagaStarted' }).click();
    await page.getByTestId('event-type').getByText('SagaStarted').waitFor();
    await page.getByTestId('causation-link').click();
    await page.getByTestId('event-type').getByText('OrderPlaced').waitFor();
    expect(await page.getByTestId('event-data').textContent()).toContain('"orderId": "o-2"');
    await page.goBack();
    await page.getByTestId('correlation-link').click();
    await page.getByTestId('correlation-id').getByText('o-2').waitFor();

    // A flow with a dead letter in it.
    await go(page, '#/correlations/o-3');
    await page.getByTestId('flow-dead-letters').getByText('cannot total order o-3: poison').waitFor();
    expect(problems).toEqual([]);
  });

  it('shows hostile event data as text on the dead-letter and event pages, running none of it', async () => {
    await go(page, '#/dead-letters');
    const letter = page.getByTestId('dead-letter');
    await letter.first().waitFor();
    await page
      .getByTestId('dead-letter-group')
      .getByText('cannot total order o-3: poison', { exact: true })
      .waitFor();
    await letter.getByText(XSS, { exact: false }).waitFor();
    expect(await page.getByTestId('dead-letter-data').textContent()).toContain(XSS);
    expect(await page.locator('img').count()).toBe(0);
    expect(await xss(page)).toBeUndefined();
    await shot(page, 'dead-letters');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'dead-letters-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    await letter.getByTestId('dead-letter-event').click();
    await page.getByTestId('event-data').getByText('<script>', { exact: false }).waitFor();
    expect(await page.getByTestId('event-data').textContent()).toContain('onerror=\\"window.__xss=2\\"');
    expect(await page.locator('#app script, #app img').count()).toBe(0);
    expect(await xss(page)).toBeUndefined();
    await shot(page, 'event-hostile-data');
    expect(problems).toEqual([]);
  });

  it('retries a dead letter once its handler is fixed, and the row goes', async () => {
    fixture.fix();
    await go(page, '#/dead-letters');
    const letter = page.getByTestId('dead-letter');
    await letter.first().waitFor();
    expect(await letter.count()).toBe(1);
    await letter.getByTestId('retry').click();
    await page.getByTestId('reason-dialog').waitFor();
    await shot(page, 'dead-letter-reason');
    await giveReason(page, 'handler fixed in the test');
    await page.getByTestId('action-result').getByText('retry applied').waitFor();
    await page.getByTestId('empty').waitFor();
    expect(await letter.count()).toBe(0);
    await shot(page, 'dead-letters-after-retry');
    expect(problems).toEqual([]);
  });

  it('rebuilds a projection with a progress bar that reaches 100%', async () => {
    await go(page, '#/projections');
    await page.getByTestId('projection-order_totals').waitFor();
    await page.getByTestId('rebuild-order_totals').click();
    await giveReason(page, 'rebuild from the dashboard test');
    const progress = page.getByTestId('rebuild-progress');
    await progress.and(page.locator('[data-state="done"]')).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('rebuild-percent').textContent()).toBe('100%');
    const bar = progress.locator('progress');
    expect(Number(await bar.getAttribute('value'))).toBe(Number(await bar.getAttribute('max')));
    expect(Number(await bar.getAttribute('max'))).toBeGreaterThan(0);
    await shot(page, 'projections');
    expect(problems).toEqual([]);
  });

  it('pauses a projection from its page (the badge shows who and why) and resumes it', async () => {
    await go(page, '#/projections');
    await page.getByTestId('pause-order_totals').click();
    await giveReason(page, 'paused from the dashboard test');
    const row = page.getByTestId('projection-order_totals');
    await row.getByText('paused').waitFor();
    const [paused] = await fixture.projections.status('order_totals');
    expect(paused?.paused).toMatchObject({ by: 'admin-user', reason: 'paused from the dashboard test' });
    await shot(page, 'projections-paused');
    await page.getByTestId('resume-order_totals').click();
    await giveReason(page, 'resumed from the dashboard test');
    await page.getByTestId('pause-order_totals').waitFor();
    expect((await fixture.projections.status('order_totals'))[0]?.paused).toBeNull();
    expect(problems).toEqual([]);
  });

  it('shows a newly appended event at the top of the live tail within a second', async () => {
    await go(page, '#/live');
    await page.getByTestId('live-status').getByText('live').waitFor();
    await page.getByTestId('event-row').first().waitFor();
    const started = Date.now();
    await fixture.store.append('probe-live-1', [{ type: 'LiveProbe', data: { n: 1 } }]);
    await page.getByTestId('event-row').first().getByText('probe-live-1').waitFor({ timeout: 1_000 });
    console.log(`live tail: the appended event was on screen after ${Date.now() - started} ms`);
    await shot(page, 'live');
    // A burst: newest on top, at most 200 rows kept.
    await fixture.store.append(
      'probe-live-2',
      Array.from({ length: 230 }, (_, n) => ({ type: 'LiveProbe', data: { n } })),
    );
    await page.getByTestId('event-row').first().getByText('probe-live-2').waitFor({ timeout: 5_000 });
    await page.locator('[data-testid="event-row"]:nth-child(200)').waitFor();
    expect(await page.getByTestId('event-row').count()).toBe(200);
    expect(await page.getByTestId('event-row').first().getByText('LiveProbe').count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it('shows sagas, an instance with its history and actions, and relays and consumers', async () => {
    await go(page, '#/sagas');
    await page.getByTestId('saga-row').first().waitFor();
    expect(await page.getByTestId('saga-row').count()).toBe(3);
    await shot(page, 'sagas');
    await go(page, '#/sagas?state=compensated');
    await page.getByTestId('saga-list').getByText('o-2').waitFor();
    expect(await page.getByTestId('saga-row').count()).toBe(1);
    await page.getByRole('link', { name: 'o-2', exact: true }).click();
    await page.getByTestId('saga-status').getByText('compensated').waitFor();
    await page.getByTestId('saga-history').getByText('SagaStepFailed').waitFor();
    expect(await page.getByTestId('saga-actions').getByRole('button').count()).toBe(4);
    await page.getByTestId('saga-abort').click();
    await giveReason(page, 'an action on a finished instance');
    await page.getByTestId('action-result').waitFor({ timeout: 10_000 });
    await shot(page, 'saga');

    await go(page, '#/messaging');
    await page.getByTestId('relay-list').getByText('relay').first().waitFor();
    await shot(page, 'messaging');
    expect(problems).toEqual([]);
  });

  it('tells a viewer that their role cannot see event data, without breaking', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const viewer = await newPage(context);
      await login(viewer, TOKENS.viewer);
      expect(await viewer.getByTestId('user-role').textContent()).toBe('viewer');
      await viewer.getByTestId('head').waitFor();
      for (const hash of [
        '#/streams',
        '#/streams/order-o-1',
        '#/correlations/o-1',
        '#/dead-letters',
        '#/live',
        '#/sagas/order_fulfilment/o-1',
      ]) {
        await go(viewer, hash);
        const forbidden = viewer.getByTestId('forbidden');
        await forbidden.waitFor();
        expect(await forbidden.textContent()).toContain('Your role cannot see this');
        if (hash === '#/dead-letters') await shot(viewer, 'viewer-forbidden');
      }
      // What a viewer may see still works.
      await go(viewer, '#/projections');
      await viewer.getByTestId('projection-order_totals').waitFor();
      expect(await viewer.getByTestId('rebuild-order_totals').isDisabled()).toBe(true);
      await go(viewer, '#/sagas');
      await viewer.getByTestId('saga-row').first().waitFor();

      await viewer.getByTestId('sign-out').click();
      await viewer.getByTestId('login-form').waitFor();
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
  });
});
