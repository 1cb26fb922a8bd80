import { ROLES, type Role } from 'factum/server';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/helpers.js';
import { type Fixture, startFixture, TOKENS } from './support/fixture.js';

let fx: Fixture;
let placedId: string;

beforeAll(async () => {
  fx = await startFixture({ metrics: new Registry() });
  placedId = (await fx.store.readStream('order-o-1')).events[0]?.id as string;
}, 30_000);
afterAll(async () => {
  await fx?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type JsonResponse = Omit<Response, 'json' | 'clone'> & { json(): Promise<any>; clone(): JsonResponse };

const call = (
  path: string,
  init: { token?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse> =>
  fetch(fx.url + path, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  }) as Promise<JsonResponse>;

interface Route {
  method: 'GET' | 'POST';
  path: () => string;
  role: Role;
  body?: unknown;
}

// Every route of the API with the least role that may call it.
const routes: Route[] = [
  { method: 'GET', path: () => '/metrics', role: 'viewer' },
  { method: 'GET', path: () => '/api/v1/session', role: 'viewer' },
  { method: 'GET', path: () => '/api/v1/overview', role: 'viewer' },
  { method: 'GET', path: () => '/api/v1/checks', role: 'viewer' },
  { method: 'GET', path: () => '/api/v1/projections', role: 'viewer' },
  { method: 'GET', path: () => '/api/v1/operations', role: 'viewer' },
  { method: 'GET', path: () => '/api/v1/messaging', role: 'viewer' },
  { method: 'GET', path: () => '/api/v1/sagas', role: 'viewer' },
  { method: 'GET', path: () => '/api/v1/streams', role: 'reader' },
  { method: 'GET', path: () => '/api/v1/streams/order-o-1/events', role: 'reader' },
  { method: 'GET', path: () => `/api/v1/events/${placedId}`, role: 'reader' },
  { method: 'GET', path: () => '/api/v1/log', role: 'reader' },
  { method: 'GET', path: () => '/api/v1/log/tail?limit=5', role: 'reader' },
  { method: 'GET', path: () => `/api/v1/correlations/${placedId}`, role: 'reader' },
  { method: 'GET', path: () => '/api/v1/dead-letters', role: 'reader' },
  { method: 'GET', path: () => '/api/v1/broker-dead-letters', role: 'reader' },
  { method: 'GET', path: () => '/api/v1/sagas/order_fulfilment/o-1', role: 'reader' },
  { method: 'GET', path: () => '/api/v1/audit', role: 'admin' },
  {
    method: 'POST',
    path: () => '/api/v1/dead-letters/retry',
    role: 'operator',
    body: { reason: 'check', dryRun: true },
  },
  {
    method: 'POST',
    path: () => '/api/v1/sagas/order_fulfilment/o-1/retry',
    role: 'operator',
    body: { reason: 'check', waitMs: 3_000 },
  },
  {
    method: 'POST',
    path: () => '/api/v1/projections/order_totals/pause',
    role: 'operator',
    body: { reason: 'check' },
  },
  {
    method: 'POST',
    path: () => '/api/v1/projections/order_totals/resume',
    role: 'operator',
    body: { reason: 'check' },
  },
  {
    method: 'POST',
    path: () => '/api/v1/projections/order_totals/rebuild',
    role: 'operator',
    body: { reason: 'check' },
  },
];

describe('factum/server API', () => {
  describe.each(routes)('$method $role', (route) => {
    it(`${route.method} ${route.path.toString().replace(/^\(\) => /, '')}: 401 without a token, 403 below ${route.role}, 2xx from ${route.role} up`, async () => {
      const path = route.path();
      const anonymous = await call(path, { method: route.method, body: route.body });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
      expect((await anonymous.json()).error.code).toBe('FACTUM_UNAUTHENTICATED');
      const wrong = await call(path, { method: route.method, body: route.body, token: 'not-a-token' });
      expect(wrong.status).toBe(401);
      for (const role of ROLES) {
        const response = await call(path, { method: route.method, body: route.body, token: TOKENS[role] });
        const allowed = ROLES.indexOf(role) >= ROLES.indexOf(route.role);
        if (allowed) {
          expect([200, 202], `${role} on ${path}: ${await response.clone().text()}`).toContain(
            response.status,
          );
        } else {
          expect(response.status, `${role} on ${path}`).toBe(403);
          expect((await response.json()).error.code).toBe('FACTUM_FORBIDDEN');
        }
      }
    });
  });

  it('serves /health and /ready without a token', async () => {
    expect((await call('/health')).status).toBe(200);
    expect(await (await call('/ready')).json()).toEqual({ status: 'ready' });
  });

  it('never takes a token from the URL', async () => {
    const response = await call(`/api/v1/streams?token=${TOKENS.admin}`, { token: TOKENS.admin });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('FACTUM_INVALID_ARGUMENT');
  });

  it('pages the streams by cursor and reads a stream backward', async () => {
    const first = await (
      await call('/api/v1/streams?category=order&limit=2', { token: TOKENS.reader })
    ).json();
    expect(first.streams.map((s: { streamId: string }) => s.streamId)).toEqual(['order-o-1', 'order-o-2']);
    expect(first.next).toBe('order-o-2');
    const second = await (
      await call(`/api/v1/streams?category=order&limit=2&after=${first.next}`, { token: TOKENS.reader })
    ).json();
    expect(second.streams.map((s: { streamId: string }) => s.streamId)).toEqual(['order-o-3']);
    expect(second.next).toBeNull();
    const saga = await (
      await call('/api/v1/streams/saga_order_fulfilment-o-1/events?direction=backward&limit=2', {
        token: TOKENS.reader,
      })
    ).json();
    expect(saga.events).toHaveLength(2);
    expect(saga.events[0].version).toBe(saga.version);
    expect(saga.next).toBe(saga.version - 2);
    expect(typeof saga.events[0].position).toBe('string');
  });

  it('shows one business flow by correlation id: the order, the saga, the services, in log order', async () => {
    const flow = await (await call('/api/v1/correlations/o-1', { token: TOKENS.reader })).json();
    const types = flow.events.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('OrderPlaced');
    expect(types).toEqual(
      expect.arrayContaining(['ChargePayment', 'PaymentSucceeded', 'ShipOrder', 'OrderShipped']),
    );
    const positions = flow.events.map((e: { position: string }) => BigInt(e.position));
    expect([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(positions);
    expect(flow.sagas.map((s: { saga: string }) => s.saga)).toEqual(['order_fulfilment']);
    expect(flow.events[0].published).toEqual([{ relay: 'relay', published: false }]);
  });

  it('answers bad input with a typed 400 and unknown things with a 404', async () => {
    const bad = await call('/api/v1/log?after=minus-one', { token: TOKENS.reader });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'FACTUM_INVALID_ARGUMENT' });
    const noReason = await call('/api/v1/dead-letters/retry', {
      token: TOKENS.operator,
      method: 'POST',
      body: { dryRun: true },
    });
    expect(noReason.status).toBe(400);
    const missing = await call('/api/v1/events/01a23a88-818e-75e1-b9c7-284db9d77131', {
      token: TOKENS.reader,
    });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('FACTUM_NOT_FOUND');
    const noSaga = await call('/api/v1/sagas/order_fulfilment/nope', { token: TOKENS.reader });
    expect(noSaga.status).toBe(404);
    const notJson = await fetch(`${fx.url}/api/v1/dead-letters/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.operator}` },
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
  });

  it('sets a strict CSP, nosniff and no-store on responses with event data', async () => {
    const page = await call('/');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const data = await call('/api/v1/streams/order-o-3/events', { token: TOKENS.reader });
    expect(data.headers.get('cache-control')).toBe('no-store');
    expect(data.headers.get('content-type')).toContain('application/json');
    // The event's HTML is data: returned as JSON text, never as markup.
    expect(JSON.stringify(await data.json())).toContain('<script>window.__xss=1</script>');
  });

  it('exchanges a token for an HttpOnly, SameSite=Strict session cookie, and signs out', async () => {
    const login = await call('/api/v1/session', { method: 'POST', body: { token: TOKENS.reader } });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const session = cookie.split(';')[0] as string;
    const me = await call('/api/v1/session', { headers: { cookie: session } });
    expect(await me.json()).toEqual({ name: 'reader-user', role: 'reader' });
    const refused = await call('/api/v1/session', { method: 'POST', body: { token: 'nope' } });
    expect(refused.status).toBe(401);
    await call('/api/v1/session', { method: 'DELETE', headers: { cookie: session } });
    expect((await call('/api/v1/session', { headers: { cookie: session } })).status).toBe(401);
  });

  it('refuses unsafe requests from another site, even with a valid session', async () => {
    const login = await call('/api/v1/session', { method: 'POST', body: { token: TOKENS.operator } });
    const session = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const body = { reason: 'csrf', dryRun: true };
    const crossSite = await call('/api/v1/dead-letters/retry', {
      method: 'POST',
      body,
      headers: { cookie: session, 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect((await crossSite.json()).error.code).toBe('FACTUM_FORBIDDEN');
    const foreign = await call('/api/v1/dead-letters/retry', {
      method: 'POST',
      body,
      headers: { cookie: session, origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const sameOrigin = await call('/api/v1/dead-letters/retry', {
      method: 'POST',
      body,
      headers: { cookie: session, origin: fx.url, 'sec-fetch-site': 'same-origin' },
    });
    expect(sameOrigin.status).toBe(200);
  });

  it('records every mutating call in the audit trail with actor, action, target and reason', async () => {
    const response = await call('/api/v1/dead-letters/retry', {
      method: 'POST',
      token: TOKENS.operator,
      body: { reason: 'after the fix of ticket 42', filter: { projection: 'order_totals' } },
    });
    expect(response.status).toBe(200);
    const { audit } = await response.json();
    const trail = await (await call('/api/v1/audit', { token: TOKENS.admin })).json();
    const entry = trail.entries.find((e: { id: string }) => e.id === audit.id);
    expect(entry.data).toMatchObject({
      actor: 'operator-user',
      role: 'operator',
      action: 'dead-letter.retry-bulk',
      target: 'dead-letters:order_totals',
      reason: 'after the fix of ticket 42',
    });
  });

  it('pauses a projection (nothing is applied, lag grows) and resumes it', async () => {
    const post = (path: string) =>
      call(path, { method: 'POST', token: TOKENS.operator, body: { reason: 'maintenance window' } });
    const paused = await (await post('/api/v1/projections/order_totals/pause')).json();
    expect(paused.projection.paused).toMatchObject({ by: 'operator-user', reason: 'maintenance window' });
    await fx.store.append('order-p-1', [
      { type: 'OrderPlaced', data: { orderId: 'p-1', total: 1, items: [] } },
    ]);
    await waitUntil(async () => (await fx.projections.status('order_totals'))[0]?.local === 'paused', 10_000);
    expect(await fx.projections.documents('order_totals').get('p-1')).toBeUndefined();
    const status = await (await call('/api/v1/projections', { token: TOKENS.viewer })).json();
    const totals = status.projections.find((p: { name: string }) => p.name === 'order_totals');
    expect(totals.paused.reason).toBe('maintenance window');
    expect(totals.behind).toBeGreaterThan(0);
    await post('/api/v1/projections/order_totals/resume');
    await waitUntil(
      async () => (await fx.projections.documents('order_totals').get('p-1')) !== undefined,
      10_000,
    );
    expect((await post('/api/v1/projections/nope/pause')).status).toBe(404);
  });

  it('rebuilds a projection as an operation whose progress streams over SSE to done', async () => {
    const started = await call('/api/v1/projections/order_totals/rebuild', {
      method: 'POST',
      token: TOKENS.operator,
      body: { reason: 'schema change' },
    });
    expect(started.status).toBe(202);
    const { operation } = await started.json();
    const events = await readSse(
      `/api/v1/operations/${operation.id}/events`,
      TOKENS.viewer,
      (e) => e.event !== 'running',
    );
    const last = events.at(-1);
    expect(last?.event).toBe('done');
    expect(JSON.parse(last?.data ?? '{}').result.projection).toBe('order_totals');
  });
});

describe('the live tail (SSE)', () => {
  it('resumes after Last-Event-ID with no gap and no duplicate, and delivers new events live', async () => {
    const log = await (await call('/api/v1/log?limit=1000', { token: TOKENS.reader })).json();
    const middle = log.events[Math.floor(log.events.length / 2)];
    const expected = log.events.filter(
      (e: { position: string }) => BigInt(e.position) > BigInt(middle.position),
    );
    const resumed = await readSse(
      '/api/v1/log/live',
      TOKENS.reader,
      (_e, all) => all.filter((x) => x.event === 'event').length >= expected.length,
      {
        'last-event-id': middle.position,
      },
    );
    const got = resumed.filter((e) => e.event === 'event');
    expect(got.map((e) => e.id)).toEqual(expected.map((e: { position: string }) => e.position));

    // Live: a client connected now receives an event appended after it connected.
    const live = readSse(
      '/api/v1/log/live',
      TOKENS.reader,
      (e) => e.event === 'event' && JSON.parse(e.data).streamId === 'tail-1',
    );
    await waitUntil(async () => {
      const overview = await (await call('/api/v1/overview', { token: TOKENS.viewer })).json();
      return overview.liveClients >= 1;
    }, 5_000);
    await fx.store.append('tail-1', [{ type: 'Tailed', data: { n: 1 } }]);
    const received = await live;
    expect(JSON.parse(received.at(-1)?.data ?? '{}').type).toBe('Tailed');
  });

  it('refuses the live tail to a viewer (it carries event data)', async () => {
    expect((await call('/api/v1/log/live', { token: TOKENS.viewer })).status).toBe(403);
  });
});

interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads an SSE response until `until` says so (or 10 s pass), then disconnects. */
async function readSse(
  path: string,
  token: string,
  until: (event: SseEvent, all: SseEvent[]) => boolean,
  headers: Record<string, string> = {},
): Promise<SseEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 10_000);
  const response = await fetch(fx.url + path, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const events: SseEvent[] = [];
  const reader = (response.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('id:')) event.id = line.slice(3).trim();
          else if (line.startsWith('event:')) event.event = line.slice(6).trim();
          else if (line.startsWith('data:')) event.data += line.slice(5).trim();
        }
        if (block.startsWith(':')) continue;
        events.push(event);
        if (until(event, events)) return events;
      }
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
