/**
 * The reference's order → payment → inventory → shipping flow, orchestrated by a saga, with the
 * three services it talks to written as reactors (choreography). PaymentFailed cancels the order;
 * InsufficientStock refunds the payment, then cancels the order.
 */
import type { EventStore, StoredEvent } from 'factum';
import { defineSaga, reactor } from 'factum/sagas';

interface OrderPlaced {
  orderId: string;
  total: number;
  items: { sku: string; qty: number }[];
}

// #region order-fulfilment
export const orderFulfilment = defineSaga({
  name: 'order_fulfilment',
  version: 1,
  startedBy: ['OrderPlaced'],
  correlate: (event) => (event.data as { orderId?: string }).orderId,
  steps: [
    {
      name: 'payment',
      action: ({ start }) => ({
        type: 'ChargePayment',
        data: { orderId: start.data.orderId, amount: start.data.total },
      }),
      awaits: { success: ['PaymentSucceeded'], failure: ['PaymentFailed'], timeout: '30s' },
      compensate: ({ start }) => ({
        type: 'RefundPayment',
        data: { orderId: start.data.orderId, amount: start.data.total },
      }),
    },
    {
      name: 'inventory',
      action: ({ start }) => ({
        type: 'ReserveInventory',
        data: { orderId: start.data.orderId, items: start.data.items },
      }),
      awaits: { success: ['InventoryReserved'], failure: ['InsufficientStock'], timeout: '30s' },
      compensate: ({ start }) => ({ type: 'ReleaseInventory', data: { orderId: start.data.orderId } }),
    },
    {
      // The pivot: it cannot be undone, so it is last; it is retried, never compensated.
      name: 'shipping',
      action: ({ start }) => ({ type: 'ShipOrder', data: { orderId: start.data.orderId } }),
      awaits: { success: ['OrderShipped'], timeout: '1m' },
      retriable: true,
    },
  ],
  onCompensated: ({ start, failure }) => ({
    type: 'CancelOrder',
    data: { orderId: start.data.orderId, reason: failure?.reason },
  }),
});
// #endregion order-fulfilment

export interface ServicesOptions {
  /** Charges above this amount are declined (PaymentFailed). */
  declineAbove?: number;
  /** Units in stock per SKU (reservations that do not fit answer InsufficientStock). */
  stock?: Map<string, number>;
}

const orderIdOf = (event: StoredEvent) => (event.data as { orderId: string }).orderId;

/** Whether a stream already holds an event answering this idempotency key (a retried command). */
async function answered(store: EventStore, streamId: string, key: unknown): Promise<boolean> {
  const { events } = await store.readStream(streamId);
  return events.some((e) => e.metadata.idempotencyKey === key);
}

/** The payment, inventory, shipping and order services, each a reactor on the commands it handles. */
export function fulfilmentServices(store: EventStore, options: ServicesOptions = {}) {
  const stock = options.stock;
  return [
    reactor({
      name: 'payments',
      on: ['ChargePayment', 'RefundPayment'],
      async handle(event, ctx) {
        const stream = `payment-${orderIdOf(event)}`;
        const key = event.metadata.idempotencyKey;
        if (await answered(store, stream, key)) return;
        const { orderId, amount } = event.data as { orderId: string; amount: number };
        const meta = { idempotencyKey: key };
        if (event.type === 'RefundPayment') {
          ctx.append(stream, [{ type: 'PaymentRefunded', data: { orderId, amount }, metadata: meta }]);
        } else if (options.declineAbove !== undefined && amount > options.declineAbove) {
          ctx.append(stream, [
            { type: 'PaymentFailed', data: { orderId, reason: 'declined' }, metadata: meta },
          ]);
        } else {
          ctx.append(stream, [{ type: 'PaymentSucceeded', data: { orderId, amount }, metadata: meta }]);
        }
      },
    }),
    reactor({
      name: 'inventory',
      on: ['ReserveInventory', 'ReleaseInventory'],
      async handle(event, ctx) {
        const stream = `inventory-${orderIdOf(event)}`;
        const key = event.metadata.idempotencyKey;
        if (await answered(store, stream, key)) return;
        const { orderId, items = [] } = event.data as OrderPlaced;
        const meta = { idempotencyKey: key };
        if (event.type === 'ReleaseInventory') {
          const reserved = (await store.readStream(stream)).events.find(
            (e) => e.type === 'InventoryReserved',
          );
          for (const item of (reserved?.data as OrderPlaced | undefined)?.items ?? []) {
            stock?.set(item.sku, (stock.get(item.sku) ?? 0) + item.qty);
          }
          ctx.append(stream, [{ type: 'InventoryReleased', data: { orderId }, metadata: meta }]);
          return;
        }
        const short = stock === undefined ? undefined : items.find((i) => (stock.get(i.sku) ?? 0) < i.qty);
        if (short !== undefined) {
          ctx.append(stream, [
            { type: 'InsufficientStock', data: { orderId, sku: short.sku }, metadata: meta },
          ]);
          return;
        }
        for (const item of items) stock?.set(item.sku, (stock.get(item.sku) ?? 0) - item.qty);
        ctx.append(stream, [{ type: 'InventoryReserved', data: { orderId, items }, metadata: meta }]);
      },
    }),
    reactor({
      name: 'shipping',
      on: ['ShipOrder'],
      async handle(event, ctx) {
        const stream = `shipment-${orderIdOf(event)}`;
        if (await answered(store, stream, event.metadata.idempotencyKey)) return;
        ctx.append(stream, [
          {
            type: 'OrderShipped',
            data: { orderId: orderIdOf(event) },
            metadata: { idempotencyKey: event.metadata.idempotencyKey },
          },
        ]);
      },
    }),
    reactor({
      name: 'orders',
      on: ['CancelOrder'],
      handle(event, ctx) {
        const { orderId, reason } = event.data as { orderId: string; reason?: string };
        ctx.append(`order-${orderId}`, [
          { type: 'OrderCancelled', data: { orderId, reason: reason ?? 'failed' } },
        ]);
      },
    }),
  ];
}
