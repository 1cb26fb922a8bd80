/**
 * The same flow choreographed: no coordinator, each service reacts to the events of the others.
 * Loosely coupled, but the flow exists only as the sum of the reactions (the orchestrated saga in
 * order-fulfilment.ts keeps it in one place, with its state and timeouts).
 */
import type { StoredEvent } from 'factum';
import { reactor } from 'factum/sagas';

const orderIdOf = (event: StoredEvent) => (event.data as { orderId: string }).orderId;

/** The services of the flow, each reacting to what the others did; `stock` holds units per SKU. */
export function choreographedServices(options: { declineAbove?: number; stock?: Map<string, number> } = {}) {
  const { stock } = options;
  return [
    // #region choreography
    reactor({
      name: 'payment_reactions',
      on: ['OrderPlaced', 'InsufficientStock'],
      handle(event, ctx) {
        const orderId = orderIdOf(event);
        if (event.type === 'InsufficientStock') {
          // Compensation: the payment is refunded.
          ctx.append(`payment-${orderId}`, [{ type: 'PaymentRefunded', data: { orderId } }]);
          return;
        }
        const { total } = event.data as { total: number };
        const declined = options.declineAbove !== undefined && total > options.declineAbove;
        ctx.append(`payment-${orderId}`, [
          declined
            ? { type: 'PaymentFailed', data: { orderId, reason: 'declined' } }
            : { type: 'PaymentSucceeded', data: { orderId, amount: total } },
        ]);
      },
    }),
    // #endregion choreography
    reactor({
      name: 'inventory_reactions',
      on: ['PaymentSucceeded'],
      async handle(event, ctx) {
        const orderId = orderIdOf(event);
        const placed = (await ctx.read(`order-${orderId}`)).find((e) => e.type === 'OrderPlaced');
        const items = (placed?.data as { items?: { sku: string; qty: number }[] } | undefined)?.items ?? [];
        const short = stock === undefined ? undefined : items.find((i) => (stock.get(i.sku) ?? 0) < i.qty);
        if (short !== undefined) {
          ctx.append(`inventory-${orderId}`, [
            { type: 'InsufficientStock', data: { orderId, sku: short.sku } },
          ]);
          return;
        }
        for (const item of items) stock?.set(item.sku, (stock.get(item.sku) ?? 0) - item.qty);
        ctx.append(`inventory-${orderId}`, [{ type: 'InventoryReserved', data: { orderId, items } }]);
      },
    }),
    reactor({
      name: 'shipping_reactions',
      on: ['InventoryReserved'],
      handle(event, ctx) {
        ctx.append(`shipment-${orderIdOf(event)}`, [
          { type: 'OrderShipped', data: { orderId: orderIdOf(event) } },
        ]);
      },
    }),
    reactor({
      name: 'order_reactions',
      on: ['PaymentFailed', 'PaymentRefunded'],
      handle(event, ctx) {
        const reason = event.type === 'PaymentFailed' ? 'payment failed' : 'insufficient stock';
        ctx.append(`order-${orderIdOf(event)}`, [
          { type: 'OrderCancelled', data: { orderId: orderIdOf(event), reason } },
        ]);
      },
    }),
  ];
}
