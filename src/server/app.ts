/**
 * The operator surface as a Hono app: security headers on everything, cross-site unsafe requests
 * refused, `/api/v1` behind bearer tokens or the dashboard's session cookie, `/health`, `/ready` and
 * `/metrics`, and the dashboard's files.
 */
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import {
  ErrorCodes,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from '../core/errors.js';
import { formatValue } from '../core/format.js';
import type { EventStore } from '../core/store.js';
import type { Broker } from '../messaging/broker.js';
import type { Relay } from '../messaging/relay.js';
import type { MetricsRegistry } from '../observability/index.js';
import type { Projections } from '../projections/index.js';
import { type Principal, Sessions, type TokenSet } from './auth.js';
import type { AppCheck, Env, ServerDeps } from './context.js';
import { dashboardRoutes } from './dashboard.js';
import { httpError } from './http-errors.js';
import { LiveLog } from './live.js';
import { Operations } from './operations.js';
import { jsonBody } from './params.js';
import { logRoutes } from './routes-log.js';
import { opsRoutes } from './routes-ops.js';

export const SESSION_COOKIE = 'factum_session';

export interface AppOptions {
  store: EventStore;
  tokens: TokenSet;
  /** The projections runtime of this process: rebuilds, and dead-letter actions carried out at once. */
  projections?: Projections;
  /** Relays (or their names) whose checkpoints and lag are shown (default: the relay named 'relay'). */
  relays?: readonly (Relay | string)[];
  /**
   * The store the application's sagas run on, where operator actions on sagas are recorded and their
   * outcome read (default: `store`). Set it when `store` holds a copy of the saga streams (a board
   * fed by the broker): an action recorded on a copy would never reach the saga.
   */
  sagaStore?: EventStore;
  /** A broker and the consumer groups whose lag is shown. */
  broker?: Broker;
  groups?: readonly string[];
  /** The state-based outbox (sqliteOutbox, postgresOutbox) whose unpublished rows are counted. */
  outbox?: { pending(): Promise<number> };
  /**
   * The application's own checks (business invariants, health), shown on the dashboard's overview
   * and at `GET /api/v1/checks`; each call runs them.
   */
  checks?: () => Promise<readonly AppCheck[]>;
  /** The prom-client registry `/metrics` serves (none: `/metrics` answers 404). */
  metrics?: MetricsRegistry;
  /** How long a dashboard session lasts (default 12 hours). */
  sessionTtlMs?: number;
  /** Called with each error that became a 500 (default: written to stderr). */
  onError?: (error: unknown) => void;
  /** Serve the dashboard's files at `/` (default true). */
  dashboard?: boolean;
  /**
   * The URL of a trace in the application's trace viewer, `{traceId}` standing for the trace id:
   * `http://localhost:16686/trace/{traceId}` (Jaeger), a Grafana Explore URL for Tempo… With it, an
   * event that stores a trace context links to its trace (`traceUrl` beside the event in
   * `GET /api/v1/events/:id`, a link on the dashboard's event page).
   */
  traceUrl?: string;
}

export interface OperatorApp {
  app: Hono<Env>;
  /** Ends live tails and rebuild watchers. */
  close(): Promise<void>;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function createOperatorApp(options: AppOptions): OperatorApp {
  const deps: ServerDeps = {
    store: options.store,
    projections: options.projections,
    sagaStore: options.sagaStore ?? options.store,
    relays: options.relays ?? ['relay'],
    broker: options.broker,
    groups: options.groups ?? [],
    checks: options.checks,
    outbox: options.outbox,
    metrics: options.metrics,
    live: new LiveLog(options.store),
    operations: new Operations(),
    traceUrl: checkTraceUrl(options.traceUrl),
  };
  const reportError =
    options.onError ??
    ((error: unknown) => {
      process.stderr.write(
        `factum/server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    });
  const sessions = new Sessions(options.sessionTtlMs ?? 12 * 60 * 60 * 1000);
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
  });

  // Cross-site request forgery: an unsafe method from another site is refused before anything runs.
  app.use('*', async (c, next) => {
    if (UNSAFE.has(c.req.method)) {
      const site = c.req.header('sec-fetch-site');
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        throw new ForbiddenError(`unsafe requests from another site are refused (Sec-Fetch-Site: ${site})`);
      }
      const origin = c.req.header('origin');
      if (origin !== undefined && origin !== new URL(c.req.url).origin) {
        throw new ForbiddenError(`unsafe requests from another origin are refused (Origin: ${origin})`);
      }
    }
    await next();
  });

  app.onError((error, c) => {
    const { status, body } = httpError(error);
    if (status === 500) reportError(error);
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="factum"');
    c.header('Cache-Control', 'no-store');
    return c.json(body, status as 400);
  });

  // biome-ignore lint/suspicious/noExplicitAny: any route's context
  const authenticate = (c: Context<any>): Principal => {
    const query = new URL(c.req.url).searchParams;
    if (query.has('token') || query.has('access_token')) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'token',
        'tokens are never accepted in a URL (they end up in logs and history): send Authorization: Bearer <token>',
      );
    }
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const principal = match?.[1] === undefined ? undefined : options.tokens.find(match[1]);
      if (principal === undefined) throw new UnauthenticatedError('the bearer token is not valid');
      return principal;
    }
    const sid = getCookie(c, SESSION_COOKIE);
    const session = sid === undefined ? undefined : sessions.find(sid);
    if (session === undefined) {
      throw new UnauthenticatedError(
        'sign in: send Authorization: Bearer <token>, or log in to the dashboard',
      );
    }
    return { name: session.name, role: session.role };
  };

  // ---- service routes -------------------------------------------------------------------------
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', async (c) => {
    try {
      await options.store.readAll({ limit: 1 });
      return c.json({ status: 'ready' });
    } catch (error) {
      return c.json({ status: 'unavailable', error: httpError(error).body.error }, 503);
    }
  });
  app.get('/metrics', async (c) => {
    const principal = authenticate(c);
    c.set('principal', principal);
    if (options.metrics === undefined)
      throw new NotFoundError('metrics (no registry was given to the server)');
    const text = await options.metrics.metrics();
    return c.body(text, 200, { 'Content-Type': options.metrics.contentType, 'Cache-Control': 'no-store' });
  });

  // ---- the API --------------------------------------------------------------------------------
  const api = new Hono<Env>();
  api.post('/session', async (c) => {
    const body = await jsonBody(c.req.raw);
    const principal = typeof body.token === 'string' ? options.tokens.find(body.token) : undefined;
    if (principal === undefined) throw new UnauthenticatedError('the token is not valid');
    const sid = sessions.open(principal);
    setCookie(c, SESSION_COOKIE, sid, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: new URL(c.req.url).protocol === 'https:',
      maxAge: Math.floor(sessions.ttlMs / 1000),
    });
    return c.json({ name: principal.name, role: principal.role });
  });
  api.delete('/session', (c) => {
    const sid = getCookie(c, SESSION_COOKIE);
    if (sid !== undefined) sessions.close(sid);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ signedOut: true });
  });
  api.use('*', async (c, next) => {
    c.set('principal', authenticate(c));
    await next();
  });
  api.get('/session', (c) => c.json(c.get('principal')));
  logRoutes(api, deps);
  opsRoutes(api, deps);
  api.all('*', (c) => {
    throw new NotFoundError(`route ${c.req.method} ${new URL(c.req.url).pathname}`);
  });
  app.route('/api/v1', api);

  if (options.dashboard !== false) dashboardRoutes(app);
  app.notFound((c) => {
    const { status, body } = httpError(
      new NotFoundError(`route ${c.req.method} ${new URL(c.req.url).pathname}`),
    );
    return c.json(body, status as 404);
  });

  return {
    app,
    async close() {
      await deps.live.close();
    },
  };
}

/** The trace URL template, checked: an http(s) URL with `{traceId}` in it. */
function checkTraceUrl(template: string | undefined): string | undefined {
  if (template === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = typeof template === 'string' ? new URL(template.replaceAll('{traceId}', '0')) : undefined;
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    !template.includes('{traceId}')
  ) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'traceUrl',
      `traceUrl must be an http(s) URL with {traceId} in it, got ${formatValue(template)}`,
    );
  }
  return template;
}
