import type { Context } from 'hono';
import { ForbiddenError } from '../core/errors.js';
import type { EventStore } from '../core/store.js';
import type { Broker } from '../messaging/broker.js';
import type { Relay } from '../messaging/relay.js';
import type { MetricsRegistry } from '../observability/index.js';
import type { Projections } from '../projections/index.js';
import { allows, type Principal, type Role } from './auth.js';
import type { LiveLog } from './live.js';
import type { Operations } from './operations.js';

/** One of the application's checks: a business invariant or a health condition, and whether it holds. */
export interface AppCheck {
  name: string;
  ok: boolean;
  /** What was measured, in a few words ("charged − refunded = 1,240.00 = shipped"). */
  detail?: string;
}

/** What every route sees. */
export interface ServerDeps {
  store: EventStore;
  projections: Projections | undefined;
  /** Where saga actions are recorded and applied (the store the sagas run on). */
  sagaStore: EventStore;
  relays: readonly (Relay | string)[];
  broker: Broker | undefined;
  groups: readonly string[];
  checks: (() => Promise<readonly AppCheck[]>) | undefined;
  outbox: { pending(): Promise<number> } | undefined;
  metrics: MetricsRegistry | undefined;
  live: LiveLog;
  operations: Operations;
  /** The trace viewer's URL template (`{traceId}`), when one is configured. */
  traceUrl: string | undefined;
}

export type Env = { Variables: { principal: Principal } };
export type Ctx = Context<Env>;

/** The caller, checked to hold at least `role`. */
export function need(c: Ctx, role: Role): Principal {
  const principal = c.get('principal');
  if (!allows(principal.role, role)) {
    throw new ForbiddenError(`this call needs the ${role} role; ${principal.name} has ${principal.role}`);
  }
  return principal;
}

/** A JSON response that carries event data: never cached. */
export function dataJson(c: Ctx, body: unknown, status: 200 | 201 | 202 = 200) {
  c.header('Cache-Control', 'no-store');
  return c.json(body as object, status);
}
