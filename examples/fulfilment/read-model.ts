/**
 * The fulfilment board: one document per order and one of totals, kept by an async projection from
 * every service's events. The totals document holds what the invariants compare, so one read sees
 * them at one checkpoint.
 */
import { defineProjection } from 'factum/projections';
import type { OrderPlacedData } from './domain.js';

export interface OrderDoc {
  orderId: string;
  status: 'placed' | 'shipped' | 'cancelled';
  total: number;
  charged: number;
  refunded: number;
  /** Milliseconds since the epoch. */
  placedAt: number;
  endedAt: number | null;
}

export interface StockTotals {
  initial: number;
  restocked: number;
  reserved: number;
  released: number;
  /** The version of the SKU's stock stream these totals include. */
  version: number;
}

export interface Totals {
  placed: number;
  shipped: number;
  cancelled: number;
  charged: number;
  refunded: number;
  shippedValue: number;
  /** Charged minus refunded, of orders not shipped or cancelled yet. */
  openCharged: number;
  cancelledCharged: number;
  cancelledRefunded: number;
  duplicateCharges: number;
  duplicateRefunds: number;
  stockShort: number;
  stock: Record<string, StockTotals>;
}

export const ORDERS = 'fulfilment_orders';
export const TOTALS = 'fulfilment_totals';

const emptyTotals = (): Totals => ({
  placed: 0,
  shipped: 0,
  cancelled: 0,
  charged: 0,
  refunded: 0,
  shippedValue: 0,
  openCharged: 0,
  cancelledCharged: 0,
  cancelledRefunded: 0,
  duplicateCharges: 0,
  duplicateRefunds: 0,
  stockShort: 0,
  stock: {},
});

const STOCK_FIELDS: Record<string, keyof Omit<StockTotals, 'version'>> = {
  StockInitialised: 'initial',
  StockRestocked: 'restocked',
  StockReserved: 'reserved',
  StockReleased: 'released',
};

export const fulfilmentBoard = defineProjection({
  name: 'fulfilment_board',
  handles: [
    'OrderPlaced',
    'OrderShipped',
    'OrderCancelled',
    'PaymentSucceeded',
    'PaymentRefunded',
    'StockInitialised',
    'StockRestocked',
    'StockReserved',
    'StockReleased',
    'StockShort',
  ],
  documents: { [ORDERS]: { indexes: ['status', 'placedAt'] }, [TOTALS]: {} },
  sla: { maxLagMs: 5_000 },
  async handle(event, tx) {
    const orders = tx.documents<OrderDoc>(ORDERS);
    const totalsDocs = tx.documents<Totals>(TOTALS);
    const totals = (await totalsDocs.get('all')) ?? emptyTotals();
    const data = event.data as Record<string, unknown> & {
      orderId?: string;
      amount?: number;
      sku?: string;
      qty?: number;
    };
    const order = data.orderId === undefined ? undefined : await orders.get(data.orderId);
    switch (event.type) {
      case 'OrderPlaced': {
        const placed = event.data as OrderPlacedData;
        await orders.upsert(placed.orderId, {
          orderId: placed.orderId,
          status: 'placed',
          total: placed.total,
          charged: 0,
          refunded: 0,
          placedAt: event.timestamp.getTime(),
          endedAt: null,
        });
        totals.placed++;
        break;
      }
      case 'PaymentSucceeded':
        if (order === undefined) break;
        if (order.charged > 0) totals.duplicateCharges++;
        await orders.patch(order.orderId, { charged: order.charged + (data.amount ?? 0) });
        totals.charged += data.amount ?? 0;
        totals.openCharged += data.amount ?? 0;
        break;
      case 'PaymentRefunded':
        if (order === undefined) break;
        if (order.refunded > 0) totals.duplicateRefunds++;
        await orders.patch(order.orderId, { refunded: order.refunded + (data.amount ?? 0) });
        totals.refunded += data.amount ?? 0;
        totals.openCharged -= data.amount ?? 0;
        break;
      case 'OrderShipped':
        if (order === undefined) break;
        await orders.patch(order.orderId, { status: 'shipped', endedAt: event.timestamp.getTime() });
        totals.shipped++;
        totals.shippedValue += order.total;
        totals.openCharged -= order.charged - order.refunded;
        break;
      case 'OrderCancelled':
        if (order === undefined) break;
        await orders.patch(order.orderId, { status: 'cancelled', endedAt: event.timestamp.getTime() });
        totals.cancelled++;
        totals.cancelledCharged += order.charged;
        totals.cancelledRefunded += order.refunded;
        totals.openCharged -= order.charged - order.refunded;
        break;
      default: {
        // Every event of a SKU's stock stream: its totals, and the stream version they include.
        const sku = data.sku as string;
        const stock = totals.stock[sku] ?? { initial: 0, restocked: 0, reserved: 0, released: 0, version: 0 };
        const field = STOCK_FIELDS[event.type];
        if (field !== undefined) stock[field] += data.qty ?? 0;
        if (event.type === 'StockShort') totals.stockShort++;
        stock.version = event.version;
        totals.stock[sku] = stock;
      }
    }
    await totalsDocs.upsert('all', totals);
  },
});
