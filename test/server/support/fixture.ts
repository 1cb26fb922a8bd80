/**
 * A running operator server on a real SQLite file, with data every page has something to show: the
 * reference's order-fulfilment saga (one order completed, one compensated), an async projection with
 * a dead letter (an event whose handler fails until `fix()`), and tokens for every role.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openStore } from 'factum';
import { createProjections, defineProjection, type Projections } from 'factum/projections';
import { createSagas, type Sagas } from 'factum/sagas';
import { hashToken, type OperatorServer, type Role, type ServeOptions, serve } from 'factum/server';
import { fulfilmentServices, orderFulfilment } from '../../../examples/sagas/order-fulfilment.js';
import { waitUntil } from '../../support/helpers.js';

export const TOKENS: Record<Role, string> = {
  viewer: 'viewer-token-0123456789',
  reader: 'reader-token-0123456789',
  operator: 'operator-token-0123456789',
  admin: 'admin-token-0123456789',
};

export interface Fixture {
  server: OperatorServer;
  url: string;
  store: EventStore;
  projections: Projections;
  sagas: Sagas;
  /** The handler of `order_totals` stops failing on poison events. */
  fix(): void;
  close(): Promise<void>;
}

/** The creation context of order o-1's first event. */
export const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

export async function startFixture(
  options: { port?: number; metrics?: ServeOptions['metrics'] } = {},
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'factum-server-'));
  const store = await openStore(`sqlite:${join(dir, 'orders.db')}`);
  let fixed = false;
  const totals = defineProjection({
    name: 'order_totals',
    handles: ['OrderPlaced'],
    documents: { order_totals: {} },
    retry: { retries: 0 },
    sla: { maxLagMs: 5_000 },
    async handle(event, tx) {
      const data = event.data as { orderId: string; total: number; poison?: boolean };
      if (data.poison === true && !fixed) throw new Error(`cannot total order ${data.orderId}: poison`);
      await tx.documents('order_totals').upsert(data.orderId, { orderId: data.orderId, total: data.total });
    },
  });
  const projections = await createProjections(store, {
    async: [totals],
    lease: { strategy: 'row', ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 },
  });
  const sagas = await createSagas(store, {
    sagas: [orderFulfilment],
    reactors: fulfilmentServices(store, { declineAbove: 1_000, stock: new Map([['LAMP', 5]]) }),
    lease: { strategy: 'row', ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 },
    timeoutPollMs: 50,
  });
  projections.start();
  sagas.start();
  await store.append('order-o-1', [
    {
      type: 'OrderPlaced',
      data: { orderId: 'o-1', total: 100, items: [{ sku: 'LAMP', qty: 1 }] },
      // As a traced append stores it (the message's creation context).
      metadata: { traceparent: TRACEPARENT },
    },
  ]);
  await store.append('order-o-2', [
    { type: 'OrderPlaced', data: { orderId: 'o-2', total: 5_000, items: [{ sku: 'LAMP', qty: 1 }] } },
  ]);
  await store.append('order-o-3', [
    {
      type: 'OrderPlaced',
      data: {
        orderId: 'o-3',
        total: 7,
        items: [],
        poison: true,
        note: '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">',
      },
    },
  ]);
  await waitUntil(async () => {
    const one = await sagas.get('order_fulfilment', 'o-1');
    const two = await sagas.get('order_fulfilment', 'o-2');
    const [status] = await projections.status('order_totals');
    return one?.status === 'completed' && two?.status === 'compensated' && (status?.deadLetters ?? 0) >= 1;
  }, 20_000);
  // #region serve
  const server = await serve({
    store,
    projections,
    port: options.port ?? 0,
    metrics: options.metrics,
    // The event page links to the event's trace in a Jaeger UI.
    traceUrl: 'http://127.0.0.1:16686/trace/{traceId}',
    tokensFromEnv: false,
    tokens: (Object.entries(TOKENS) as [Role, string][]).map(([role, token]) => ({
      name: `${role}-user`,
      role,
      sha256: hashToken(token),
    })),
  });
  // #endregion serve
  return {
    server,
    url: server.url,
    store,
    projections,
    sagas,
    fix: () => {
      fixed = true;
    },
    async close() {
      await server.close();
      await sagas.stop();
      await projections.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
