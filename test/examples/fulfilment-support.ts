/**
 * The fulfilment system for tests: the four services and the board in this process, each service on
 * its own SQLite file under `dir`, wired through the broker at `brokerUrl`; and the one count of
 * charges and refunds per order that the duplicate proofs read from the payments service's store.
 */
import type { EventStore } from 'factum';
import type { Broker } from 'factum/messaging';
import { ORDERS, type OrderDoc } from '../../examples/fulfilment/read-model.js';
import { ALL_GROUPS, groupOf } from '../../examples/fulfilment/service.js';
import {
  type Fulfilment,
  type FulfilmentOptions,
  openSystem,
  ROLES,
  startFulfilment,
} from '../../examples/fulfilment/system.js';
import { waitUntil } from '../support/helpers.js';

export const testLease = { strategy: 'row' as const, ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 };

export interface TestSystem extends Fulfilment {
  readonly stores: Record<(typeof ROLES)[number], EventStore>;
  readonly broker: Broker;
  /** Handler retries so far, by group and error. */
  readonly retries: Map<string, number>;
  close(): Promise<void>;
}

export async function startTestSystem(
  dir: string,
  brokerUrl: string,
  options: FulfilmentOptions = {},
): Promise<TestSystem> {
  const opened = await openSystem(ROLES, `sqlite:${dir}`, brokerUrl);
  const retries = new Map<string, number>();
  opened.topology.broker.on('consumer.retry', ({ group, error }) => {
    const key = `${group}: ${error.message.slice(0, 160)}`;
    retries.set(key, (retries.get(key) ?? 0) + 1);
  });
  const system = await startFulfilment(opened.topology, { runtime: { lease: testLease }, ...options });
  return Object.assign(system, {
    stores: opened.topology.stores as TestSystem['stores'],
    broker: opened.topology.broker,
    retries,
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

/**
 * Waits until the board has seen `placed` orders and every one ended; on timeout the error says what
 * did not end and where its events are (each store), the groups' lag, retries and dead letters.
 */
export async function waitForAllEnded(system: TestSystem, placed: number, timeoutMs: number): Promise<void> {
  const board = system.board!;
  await waitUntil(
    async () => (await board.totals())?.placed === placed && (await board.settled()),
    timeoutMs,
  ).catch(async (error) => {
    const open = await board.projections
      .documents<OrderDoc>(ORDERS)
      .find({ status: { in: ['placed', 'unseen'] } }, { limit: 2 });
    const trail: string[] = [];
    for (const o of open)
      for (const role of ROLES)
        for (const stream of ['order', 'payment', 'shipment', 'saga_fulfilment'].map(
          (s) => `${s}-${o.orderId}`,
        )) {
          const { events } = await system.stores[role].readStream(stream);
          if (events.length > 0) trail.push(`${role} ${stream}: ${events.map((e) => e.type).join(' ')}`);
        }
    const lags = await Promise.all(ALL_GROUPS.map(async (g) => `${g} ${(await system.broker.lag(g)).lag}`));
    trail.push(...[...system.retries].slice(0, 5).map(([k, n]) => `${n} retries of ${k}`));
    const dead = await system.broker.deadLetters(groupOf('board'), { limit: 5 });
    trail.push(
      ...dead.map((d) => `dead letter ${d.event?.streamId}@${d.event?.version} ${d.event?.type}: ${d.error}`),
    );
    throw new Error(
      `${(error as Error).message}\nplaced ${placed}; totals ${JSON.stringify(await board.totals())}\nlag ${lags.join(', ')}\n${trail.join('\n')}`,
    );
  });
}
