/**
 * The fulfilment system for tests: the four services and the board in this process, each service on
 * its own SQLite file under `dir`, wired through the broker at `brokerUrl`; and the one count of
 * charges and refunds per order that the duplicate proofs read from the payments service's store.
 */
import type { EventStore } from 'factum';
import type { Broker } from 'factum/messaging';
import {
  type Fulfilment,
  type FulfilmentOptions,
  openSystem,
  ROLES,
  startFulfilment,
} from '../../examples/fulfilment/system.js';

export const testLease = { strategy: 'row' as const, ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 };

export interface TestSystem extends Fulfilment {
  readonly stores: Record<(typeof ROLES)[number], EventStore>;
  readonly broker: Broker;
  close(): Promise<void>;
}

export async function startTestSystem(
  dir: string,
  brokerUrl: string,
  options: FulfilmentOptions = {},
): Promise<TestSystem> {
  const opened = await openSystem(ROLES, `sqlite:${dir}`, brokerUrl);
  const system = await startFulfilment(opened.topology, { runtime: { lease: testLease }, ...options });
  return Object.assign(system, {
    stores: opened.topology.stores as TestSystem['stores'],
    broker: opened.topology.broker,
    async close() {
      await system.stop();
      await opened.close();
    },
  });
}

/** How many times each order was charged and refunded, counted in the payments service's own events. */
export async function paymentsPerOrder(
  payments: EventStore,
): Promise<Map<string, { charged: number; refunded: number }>> {
  const perOrder = new Map<string, { charged: number; refunded: number }>();
  for (let after = 0n; ; ) {
    const page = await payments.readAll({
      after,
      limit: 1_000,
      types: ['PaymentSucceeded', 'PaymentRefunded'],
    });
    for (const e of page.events) {
      const counts = perOrder.get(e.streamId) ?? { charged: 0, refunded: 0 };
      if (e.type === 'PaymentSucceeded') counts.charged++;
      else counts.refunded++;
      perOrder.set(e.streamId, counts);
    }
    if (page.events.length === 0 || page.last === after) break;
    after = page.last;
  }
  return perOrder;
}
