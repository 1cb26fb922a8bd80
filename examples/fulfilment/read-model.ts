/**
 * The fulfilment board: one document per order and one of totals, kept by an async projection from
 * every service's events. The totals document holds what the invariants compare, so one read sees
 * them at one checkpoint.
 */
import { defineProjection } from 'factum/projections';
import type { OrderPlacedData } from './domain.js';

export interface OrderDoc {
  orderId: string;
  /** 'unseen': the payment's events arrived before the order's (they come from different services). */
  status: 'unseen' | 'placed' | 'shipped' | 'cancelled';
  total: number;
  charged: number;
  refunded: number;
  charges: number;
  refunds: number;
  /** Ended with its money right: shipped and charged its total, or cancelled and refunded all (null while open). */
  balanced: boolean | null;
  /** Milliseconds since the epoch (0 while unseen). */
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
  /** Orders ended whose money is not right yet: a payment event still on its way to the board. */
  unbalanced: number;
  stockShort: number;
  stock: Record<string, StockTotals>;
}

export const ORDERS = 'fulfilment_orders';
export const TOTALS = 'fulfilment_totals';

type OrderTotals = Omit<Totals, 'stockShort' | 'stock'>;

const noOrderTotals = (): OrderTotals => ({
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
  unbalanced: 0,
});

const emptyTotals = (): Totals => ({ ...noOrderTotals(), stockShort: 0, stock: {} });

const STOCK_FIELDS: Record<string, keyof Omit<StockTotals, 'version'>> = {
  StockInitialised: 'initial',
  StockRestocked: 'restocked',
  StockReserved: 'reserved',
  StockReleased: 'released',
};

/** What one order adds to the totals: summed over orders, in whatever order their events arrive. */
function contribution(o: OrderDoc | undefined): OrderTotals {
  if (o === undefined) return noOrderTotals();
  const shipped = o.status === 'shipped';
  const cancelled = o.status === 'cancelled';
  return {
    placed: o.status === 'unseen' ? 0 : 1,
    shipped: shipped ? 1 : 0,
    cancelled: cancelled ? 1 : 0,
    charged: o.charged,
    refunded: o.refunded,
    shippedValue: shipped ? o.total : 0,
    openCharged: shipped || cancelled ? 0 : o.charged - o.refunded,
    cancelledCharged: cancelled ? o.charged : 0,
    cancelledRefunded: cancelled ? o.refunded : 0,
    duplicateCharges: Math.max(0, o.charges - 1),
    duplicateRefunds: Math.max(0, o.refunds - 1),
    unbalanced: o.balanced === false ? 1 : 0,
  };
}

const unseen = (orderId: string): OrderDoc => ({
  orderId,
  status: 'unseen',
  total: 0,
  charged: 0,
  refunded: 0,
  charges: 0,
  refunds: 0,
  balanced: null,
  placedAt: 0,
  endedAt: null,
});

/**
 * The board's projection. Its events come from four services through the broker, so an order's
 * payment may arrive before the order itself: each event updates its order's document whatever came
 * first, and the totals move by the difference the event made to that order's contribution, so they
 * are the same sums in any arrival order.
 */
export const fulfilmentBoard = defineProjection({
  name: 'fulfilment_board',
  version: 2,
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
  documents: { [ORDERS]: { indexes: ['status', 'placedAt', 'balanced', 'endedAt'] }, [TOTALS]: {} },
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
    if (event.type.startsWith('Stock')) {
      // Every event of a SKU's stock stream (one stream, so in order): its totals, and the version they include.
      const sku = data.sku as string;
      const stock = totals.stock[sku] ?? { initial: 0, restocked: 0, reserved: 0, released: 0, version: 0 };
      const field = STOCK_FIELDS[event.type];
      if (field !== undefined) stock[field] += data.qty ?? 0;
      if (event.type === 'StockShort') totals.stockShort++;
      stock.version = event.version;
      totals.stock[sku] = stock;
      await totalsDocs.upsert('all', totals);
      return;
    }
    const orderId = data.orderId as string;
    const before = (await orders.get(orderId)) ?? undefined;
    const order = { ...(before ?? unseen(orderId)) };
    const at = event.timestamp.getTime();
    switch (event.type) {
      case 'OrderPlaced':
        order.status = order.status === 'unseen' ? 'placed' : order.status;
        order.total = (event.data as OrderPlacedData).total;
        order.placedAt = at;
        break;
      case 'OrderShipped':
      case 'OrderCancelled':
        order.status = event.type === 'OrderShipped' ? 'shipped' : 'cancelled';
        order.endedAt = at;
        break;
      case 'PaymentSucceeded':
        order.charged += data.amount ?? 0;
        order.charges++;
        break;
      case 'PaymentRefunded':
        order.refunded += data.amount ?? 0;
        order.refunds++;
        break;
    }
    if (order.status === 'shipped') order.balanced = order.charged - order.refunded === order.total;
    if (order.status === 'cancelled') order.balanced = order.charged === order.refunded;
    const was = contribution(before);
    const now = contribution(order);
    for (const key of Object.keys(now) as (keyof typeof now)[]) totals[key] += now[key] - was[key];
    await orders.upsert(orderId, order);
    await totalsDocs.upsert('all', totals);
  },
});
