import { join } from 'node:path';
import { createSagas } from 'factum/sagas';
import { createSqliteStore } from 'factum/sqlite';
import { beforeAll, describe, expect, it } from 'vitest';
import { fulfilmentServices, orderFulfilment } from '../../examples/sagas/order-fulfilment.js';
import { runCli } from '../../src/cli/program.js';
import { waitUntil } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = tempDir('factum-log-cli-');
const file = join(dir, 'orders.db');
const store = `sqlite:${file}`;

/** Runs `factum` in this process; `signal` ends the long-running commands. */
function factum(args: string[], options: { signal?: AbortSignal; env?: Record<string, string> } = {}) {
  let out = '';
  let err = '';
  const io = {
    cwd: root,
    out: (t: string) => {
      out += t;
    },
    err: (t: string) => {
      err += t;
    },
    env: options.env ?? {},
    signal: options.signal,
  };
  const done = runCli(args, io).then((code) => ({ code, out, err }));
  return { done, out: () => out };
}

beforeAll(async () => {
  const s = createSqliteStore(file);
  const sagas = await createSagas(s, {
    sagas: [orderFulfilment],
    reactors: fulfilmentServices(s, { declineAbove: 1_000, stock: new Map([['LAMP', 2]]) }),
    lease: { strategy: 'row', ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 },
    timeoutPollMs: 50,
  });
  sagas.start();
  await s.append('order-o-1', [
    { type: 'OrderPlaced', data: { orderId: 'o-1', total: 100, items: [{ sku: 'LAMP', qty: 1 }] } },
  ]);
  await s.append('order-o-2', [
    { type: 'OrderPlaced', data: { orderId: 'o-2', total: 100, items: [{ sku: 'LAMP', qty: 5 }] } },
  ]);
  await waitUntil(
    async () =>
      (await sagas.get('order_fulfilment', 'o-2'))?.status === 'compensated' &&
      (await sagas.get('order_fulfilment', 'o-1'))?.status === 'completed',
    15_000,
  );
  await sagas.stop();
  await s.close();
}, 30_000);

describe('factum streams, events tail, trace', () => {
  it('lists streams a page at a time, by category', async () => {
    const all = await factum(['streams', 'list', '--store', store]).done;
    expect(all.code).toBe(0);
    expect(all.out.split('\n')[0]).toMatch(/^STREAM\s+VERSION\s+LAST POSITION\s+UPDATED$/);
    expect(all.out).toMatch(/order-o-2\s+2\s+/);
    const page = await factum(['streams', 'list', '--store', store, '--category', 'order', '--limit', '1'])
      .done;
    expect(page.out).toContain('order-o-1');
    expect(page.out).not.toContain('order-o-2');
    expect(page.out).toContain('more: --after order-o-1');
    const next = await factum([
      'streams',
      'list',
      '--store',
      store,
      '--category',
      'order',
      '--after',
      'order-o-1',
    ]).done;
    expect(next.out).toContain('order-o-2');
    const lines = (await factum(['streams', 'list', '--store', store, '--json']).done).out.trim().split('\n');
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      streamId: expect.any(String),
      lastPosition: expect.any(String),
    });
    const bad = await factum(['streams', 'list', '--store', store, '--limit', 'x']).done;
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--limit must be an integer');
  });

  it('shows a stream, and exits 1 for a stream that does not exist', async () => {
    const shown = await factum(['streams', 'show', 'order-o-2', '--store', store]).done;
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('stream order-o-2: version 2');
    expect(shown.out).toMatch(/1\s+\d+\s+\S+\s+OrderPlaced/);
    expect(shown.out).toMatch(/2\s+\d+\s+\S+\s+OrderCancelled/);
    const backward = await factum(['streams', 'show', 'order-o-2', '--store', store, '--backward', '--json'])
      .done;
    expect(
      backward.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(['OrderCancelled', 'OrderPlaced']);
    const missing = await factum(['streams', 'show', 'nope-1', '--store', store]).done;
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no stream nope-1');
  });

  it('traces a business flow as a causation tree: the order, the saga, the refund, the cancellation', async () => {
    const trace = await factum(['trace', 'o-2', '--store', store]).done;
    expect(trace.code).toBe(0);
    const lines = trace.out.split('\n');
    expect(lines[0]).toMatch(/^correlation o-2: \d+ events in 4 streams$/);
    const order = lines.findIndex((l) => /\sOrderPlaced\s/.test(l));
    const refund = lines.findIndex((l) => /└ RefundPayment\s.*command/.test(l));
    const cancelled = lines.findIndex((l) => /└ OrderCancelled\s/.test(l));
    expect(order).toBe(2);
    expect(refund).toBeGreaterThan(order);
    expect(cancelled).toBeGreaterThan(refund);
    const json = JSON.parse((await factum(['trace', 'o-2', '--store', store, '--json']).done).out);
    expect(json.sagas).toEqual([expect.objectContaining({ saga: 'order_fulfilment' })]);
    const none = await factum(['trace', 'nobody', '--store', store]).done;
    expect(none.code).toBe(1);
  });

  it('tails the log, then follows new events until stopped', async () => {
    const last = await factum(['events', 'tail', '-n', '2', '--store', store]).done;
    expect(last.out.trim().split('\n')).toHaveLength(2);
    const stop = new AbortController();
    const follow = factum(
      ['events', 'tail', '--follow', '-n', '0', '--store', store, '--types', 'Followed'],
      {
        signal: stop.signal,
      },
    );
    const writer = createSqliteStore(file);
    try {
      // Appended until the tail shows one: the follower may start after the first append.
      await waitUntil(async () => {
        await writer.append('tail-1', [
          { type: 'Followed', data: {} },
          { type: 'Ignored', data: {} },
        ]);
        return follow.out().includes('Followed');
      }, 10_000);
    } finally {
      stop.abort();
      await writer.close();
    }
    const result = await follow.done;
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^\d+\s+\S+\s+tail-1@\d+\s+Followed\s+\{\}$/m);
    expect(result.out).not.toContain('Ignored');
  });
});

describe('factum serve', () => {
  it('serves the API and the dashboard on 127.0.0.1, printing a generated admin token when none is configured', async () => {
    const stop = new AbortController();
    const serving = factum(['serve', store, '--port', '0'], { signal: stop.signal });
    try {
      await waitUntil(async () => serving.out().includes('sign in with this admin token'), 10_000);
      const url = /dashboard and API: (http:\/\/127\.0\.0\.1:\d+)/.exec(serving.out())?.[1] as string;
      const token = /admin token[^\n]*\n\s+(\S+)/.exec(serving.out())?.[1] as string;
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect((await fetch(`${url}/api/v1/streams`)).status).toBe(401);
      const streams = await fetch(`${url}/api/v1/streams?category=order`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(((await streams.json()) as { streams: unknown[] }).streams).toHaveLength(2);
      expect((await fetch(`${url}/`)).headers.get('content-type')).toContain('text/html');
    } finally {
      stop.abort();
    }
    expect((await serving.done).code).toBe(0);
  });

  it('takes tokens from FACTUM_TOKENS and then generates none', async () => {
    const stop = new AbortController();
    const serving = factum(['serve', '--store', store, '--port', '0'], {
      signal: stop.signal,
      env: { FACTUM_TOKENS: 'ops:viewer:s3cret' },
    });
    try {
      await waitUntil(async () => serving.out().includes('dashboard and API'), 10_000);
      expect(serving.out()).not.toContain('admin token');
      const url = /dashboard and API: (\S+)/.exec(serving.out())?.[1] as string;
      const overview = await fetch(`${url}/api/v1/overview`, { headers: { authorization: 'Bearer s3cret' } });
      expect(overview.status).toBe(200);
      const streams = await fetch(`${url}/api/v1/streams`, { headers: { authorization: 'Bearer s3cret' } });
      expect(streams.status).toBe(403);
    } finally {
      stop.abort();
    }
    await serving.done;
  });

  it('refuses a bad port and a missing database with exit 2', async () => {
    expect((await factum(['serve', store, '--port', 'x']).done).code).toBe(2);
    const missing = await factum(['serve', `sqlite:${join(dir, 'missing.db')}`]).done;
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no SQLite database');
  });
});
