// The reference's OrderSummaryProjection as a Factum projection: one summary document per order,
// kept by an async runner within an SLA, from events upcast by the example's schema registry. Read it
// with projections.documents('order_summaries').
import type { EventStore } from 'factum';
import {
  createProjections,
  defineProjection,
  type Projections,
  type ProjectionsOptions,
} from 'factum/projections';
import type { OrderEvent } from './order.js';
import { registry } from './schemas.js';

// #region order-summary
export interface OrderSummary {
  orderId: string;
  customer: string;
  currency: string;
  total: number;
  status: 'placed' | 'shipped';
}

export const orderSummaryProjection = defineProjection({
  name: 'order_summary',
  handles: ['OrderPlaced', 'ItemAdded', 'OrderShipped'],
  documents: { order_summaries: { indexes: ['status', 'customer'] } },
  // Eventual consistency, bounded: past 2 s of lag the alert hook fires and `factum lag` fails.
  sla: { maxLagMs: 2_000 },
  async handle(event, tx) {
    const summaries = tx.documents<OrderSummary>('order_summaries');
    const orderId = event.streamId.slice('order-'.length);
    const e = event as unknown as OrderEvent;
    switch (e.type) {
      case 'OrderPlaced':
        await summaries.upsert(orderId, {
          orderId,
          customer: e.data.customer,
          currency: e.data.currency,
          total: 0,
          status: 'placed',
        });
        break;
      case 'ItemAdded': {
        const summary = await summaries.get(orderId);
        if (summary !== undefined) {
          await summaries.patch(orderId, { total: summary.total + e.data.qty * e.data.price });
        }
        break;
      }
      case 'OrderShipped':
        await summaries.patch(orderId, { status: 'shipped' });
        break;
    }
  },
});
// #endregion order-summary

/** Registers the projection on a store and starts its runner (options: onAlert, storage, lease …). */
export async function startOrderSummaries(
  store: EventStore,
  options: Omit<ProjectionsOptions, 'async' | 'inline'> = {},
): Promise<Projections> {
  // #region order-summary-run
  const projections = await createProjections(store, {
    ...options,
    async: [orderSummaryProjection],
    schemas: registry, // handlers see v1 OrderPlaced events upcast to v2 (with a currency)
  });
  projections.start(); // the runner catches up from its checkpoint, then follows new events
  // #endregion order-summary-run
  return projections;
}
