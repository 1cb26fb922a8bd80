/**
 * The four services of the reference's order fulfilment, each a decider over its own streams and a
 * reactor on the commands it handles: orders (place, cancel, ship), payments (charge and refund, with
 * a decline rate), inventory (reserve and release against real stock levels, restocked when low),
 * shipping (ship, the carrier sometimes late). A reactor decides from the stream it reads and
 * appends at that stream's version, so a redelivered command changes nothing twice.
 */
import { type Decider, type EventStore, foldEvents, type StoredEvent } from 'factum';
import { type ReactorContext, reactor } from 'factum/sagas';
import {
  CATALOG,
  type Line,
  type OrderPlacedData,
  orderIdOf,
  orderStream,
  paymentStream,
  SKUS,
  shipmentStream,
  stockStream,
  unitHash,
} from './domain.js';

export interface ServiceOptions {
  /** Share of charges declined (0..1, default 0.05). */
  declineRate?: number;
  /** Share of first shipping attempts the carrier answers late, past the step's timeout (default 0.03). */
  carrierDelayRate?: number;
}

type Event<T extends string = string, D = unknown> = { type: T; data: D };

/** Decides on one stream inside a reactor: fold what is there, append what the decider says at that version. */
async function decideOn<C, E extends Event, S>(
  ctx: ReactorContext,
  decider: Decider<C, E, S>,
  streamId: string,
  command: C,
): Promise<void> {
  const events = await ctx.read(streamId);
  const state = foldEvents(decider, decider.initialState(), events as unknown as E[]);
  const decided = decider.decide(command, state);
  const list = (Array.isArray(decided) ? decided : [decided]) as E[];
  if (list.length === 0) return;
  ctx.append(
    streamId,
    list.map((e) => ({ type: e.type, data: e.data })),
    { expectedVersion: events.length },
  );
}

// ---- orders ---------------------------------------------------------------------------------------

export type OrderEvent =
  | Event<'OrderPlaced', OrderPlacedData>
  | Event<'OrderShipped', { orderId: string }>
  | Event<'OrderCancelled', { orderId: string; reason: string }>;
type OrderCommand =
  | { type: 'Place'; data: OrderPlacedData }
  | { type: 'Ship'; orderId: string }
  | { type: 'Cancel'; orderId: string; reason: string };
interface OrderState {
  status: 'none' | 'placed' | 'shipped' | 'cancelled';
}

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  initialState: () => ({ status: 'none' }),
  evolve: (_state, e) => ({
    status: e.type === 'OrderPlaced' ? 'placed' : e.type === 'OrderShipped' ? 'shipped' : 'cancelled',
  }),
  decide: (c, s) => {
    switch (c.type) {
      case 'Place':
        return s.status === 'none' ? { type: 'OrderPlaced', data: c.data } : [];
      case 'Ship':
        return s.status === 'placed' ? { type: 'OrderShipped', data: { orderId: c.orderId } } : [];
      case 'Cancel':
        return s.status === 'placed'
          ? { type: 'OrderCancelled', data: { orderId: c.orderId, reason: c.reason } }
          : [];
    }
  },
};

/** Places an order (the generator's entry point): one OrderPlaced on a new stream. */
export async function placeOrder(store: EventStore, data: OrderPlacedData): Promise<StoredEvent> {
  await store.append(orderStream(data.orderId), [{ type: 'OrderPlaced', data }], {
    expectedVersion: 'no_stream',
  });
  return (await store.readStream(orderStream(data.orderId))).events[0] as StoredEvent;
}

// ---- payments -------------------------------------------------------------------------------------

export type PaymentEvent =
  | Event<'PaymentSucceeded', { orderId: string; amount: number; lines: Line[] }>
  | Event<'PaymentFailed', { orderId: string; reason: string }>
  | Event<'PaymentRefunded', { orderId: string; amount: number }>;
type PaymentCommand =
  | { type: 'Charge'; orderId: string; amount: number; lines: Line[]; decline: boolean }
  | { type: 'Refund'; orderId: string };
interface PaymentState {
  charged: number;
  failed: boolean;
  refunded: boolean;
}

export const paymentDecider: Decider<PaymentCommand, PaymentEvent, PaymentState> = {
  initialState: () => ({ charged: 0, failed: false, refunded: false }),
  evolve: (s, e) =>
    e.type === 'PaymentSucceeded'
      ? { ...s, charged: e.data.amount }
      : e.type === 'PaymentFailed'
        ? { ...s, failed: true }
        : { ...s, refunded: true },
  decide: (c, s) => {
    if (c.type === 'Charge') {
      // Charged or declined already: a retried command, nothing new (the first answer stands).
      // Refunded already: the saga gave up on this charge (its step timed out), so a late charge
      // command must not take money it will never give back.
      if (s.charged > 0 || s.failed || s.refunded) return [];
      return c.decline
        ? { type: 'PaymentFailed', data: { orderId: c.orderId, reason: 'card declined' } }
        : { type: 'PaymentSucceeded', data: { orderId: c.orderId, amount: c.amount, lines: c.lines } };
    }
    if (s.refunded) return [];
    // Nothing charged (declined, or the charge not arrived yet): a refund of nothing, so the
    // compensating saga hears its answer, and the order is closed to a late charge.
    return { type: 'PaymentRefunded', data: { orderId: c.orderId, amount: s.charged } };
  },
};

// ---- inventory ------------------------------------------------------------------------------------

export type StockEvent =
  | Event<'StockInitialised', { sku: string; qty: number }>
  | Event<'StockReserved', { sku: string; orderId: string; qty: number }>
  | Event<'StockShort', { sku: string; orderId: string; qty: number; available: number }>
  | Event<'StockReleased', { sku: string; orderId: string; qty: number }>
  | Event<'StockRestocked', { sku: string; qty: number }>;
type StockCommand =
  | { type: 'Reserve'; sku: string; orderId: string; qty: number }
  | { type: 'Release'; sku: string; orderId: string }
  | { type: 'Restock'; sku: string; qty: number };
export interface StockState {
  available: number;
  /** Reservations held, by order. */
  held: Record<string, number>;
  /** Orders that were refused: a retried reserve answers the same. */
  short: Record<string, true>;
  /** Orders released (compensated): a late reserve for them holds nothing. */
  released: Record<string, true>;
}

export const stockDecider: Decider<StockCommand, StockEvent, StockState> = {
  initialState: () => ({ available: 0, held: {}, short: {}, released: {} }),
  evolve: (s, e) => {
    switch (e.type) {
      case 'StockInitialised':
      case 'StockRestocked':
        return { ...s, available: s.available + e.data.qty };
      case 'StockReserved':
        return {
          ...s,
          available: s.available - e.data.qty,
          held: { ...s.held, [e.data.orderId]: e.data.qty },
        };
      case 'StockShort':
        return { ...s, short: { ...s.short, [e.data.orderId]: true } };
      case 'StockReleased': {
        const { [e.data.orderId]: _, ...held } = s.held;
        return {
          ...s,
          available: s.available + e.data.qty,
          held,
          released: { ...s.released, [e.data.orderId]: true },
        };
      }
    }
  },
  decide: (c, s) => {
    switch (c.type) {
      case 'Reserve':
        if (s.held[c.orderId] !== undefined || s.short[c.orderId] || s.released[c.orderId]) return [];
        return c.qty <= s.available
          ? { type: 'StockReserved', data: { sku: c.sku, orderId: c.orderId, qty: c.qty } }
          : {
              type: 'StockShort',
              data: { sku: c.sku, orderId: c.orderId, qty: c.qty, available: s.available },
            };
      case 'Release': {
        if (s.released[c.orderId]) return [];
        // Nothing held (refused, or the reserve not arrived yet: the saga's step timed out): a
        // release of nothing answers the saga and closes the order to a late reserve.
        const qty = s.held[c.orderId] ?? 0;
        return { type: 'StockReleased', data: { sku: c.sku, orderId: c.orderId, qty } };
      }
      case 'Restock':
        return { type: 'StockRestocked', data: { sku: c.sku, qty: c.qty } };
    }
  },
};

/** Creates each SKU's stock stream with its initial level, times `scale` (once: a store that has them keeps them). */
export async function initialiseStock(store: EventStore, scale = 1): Promise<void> {
  for (const sku of SKUS) {
    const read = await store.readStream(stockStream(sku), { limit: 1 });
    if (read.exists) continue;
    await store
      .append(
        stockStream(sku),
        [
          {
            type: 'StockInitialised',
            data: { sku, qty: Math.ceil((CATALOG[sku]?.initialStock ?? 0) * scale) },
          },
        ],
        {
          expectedVersion: 'no_stream',
        },
      )
      .catch(() => {});
  }
}

/** A SKU's level now, from its stream. */
export async function stockLevel(store: EventStore, sku: string, toVersion?: number): Promise<StockState> {
  const { events } = await store.readStream(stockStream(sku), toVersion === undefined ? {} : { toVersion });
  return foldEvents(stockDecider, stockDecider.initialState(), events as unknown as StockEvent[]);
}

/** The warehouse restocks each SKU that runs low (fewer available than its restock amount) by that amount, times `scale`. */
export async function restockLow(store: EventStore, scale = 1): Promise<void> {
  for (const sku of SKUS) {
    const qty = Math.ceil((CATALOG[sku]?.restock ?? 0) * scale);
    const { events, version } = await store.readStream(stockStream(sku));
    const state = foldEvents(stockDecider, stockDecider.initialState(), events as unknown as StockEvent[]);
    if (state.available >= qty) continue;
    await store
      .append(stockStream(sku), [{ type: 'StockRestocked', data: { sku, qty } }], {
        expectedVersion: version,
      })
      .catch(() => {
        // A reservation got there first: the next round looks again.
      });
  }
}

// ---- shipping -------------------------------------------------------------------------------------

export type ShipmentEvent =
  | Event<'ShipmentDelayed', { orderId: string; attempt: number }>
  | Event<'ShipmentDispatched', { orderId: string; lines: Line[]; carrier: string }>;

// ---- the services as reactors on the saga's commands (orchestration) -------------------------------

const line = (data: unknown) => (data as { lines: Line[] }).lines[0] as Line;

/** The four services, answering the orchestrating saga's commands. */
export function orchestratedServices(options: ServiceOptions = {}) {
  const declineRate = options.declineRate ?? 0.05;
  const delayRate = options.carrierDelayRate ?? 0.03;
  return [
    reactor({
      name: 'payments',
      on: ['ChargePayment', 'RefundPayment'],
      handle: (event, ctx) => {
        const { orderId, amount, lines } = event.data as { orderId: string; amount: number; lines: Line[] };
        return decideOn(
          ctx,
          paymentDecider,
          paymentStream(orderId),
          event.type === 'ChargePayment'
            ? {
                type: 'Charge',
                orderId,
                amount,
                lines,
                decline: unitHash(`decline:${orderId}`) < declineRate,
              }
            : { type: 'Refund', orderId },
        );
      },
    }),
    reactor({
      name: 'inventory',
      on: ['ReserveStock', 'ReleaseStock'],
      // Reservations of one SKU race: a conflict is retried with the stream read again.
      attempts: 30,
      handle: (event, ctx) => {
        const { orderId } = event.data as { orderId: string };
        const { sku, qty } = line(event.data);
        return decideOn(
          ctx,
          stockDecider,
          stockStream(sku),
          event.type === 'ReserveStock'
            ? { type: 'Reserve', sku, orderId, qty }
            : { type: 'Release', sku, orderId },
        );
      },
    }),
    reactor({
      name: 'shipping',
      on: ['ShipOrder'],
      async handle(event, ctx) {
        const { orderId, lines } = event.data as { orderId: string; lines: Line[] };
        const stream = shipmentStream(orderId);
        const events = await ctx.read(stream);
        const dispatched = events.some((e) => e.type === 'ShipmentDispatched');
        const attempt = Number(event.metadata.sagaAttempt ?? 1);
        if (dispatched) {
          // A retried command after the dispatch: confirm it again, so the saga hears it.
          ctx.append(stream, [{ type: 'ShipmentConfirmed', data: { orderId } }], {
            expectedVersion: events.length,
          });
          return;
        }
        if (attempt === 1 && unitHash(`carrier:${orderId}`) < delayRate) {
          // The carrier is late: no answer to this attempt; the saga's timeout sends it again.
          ctx.append(stream, [{ type: 'ShipmentDelayed', data: { orderId, attempt } }], {
            expectedVersion: events.length,
          });
          return;
        }
        ctx.append(stream, [{ type: 'ShipmentDispatched', data: { orderId, lines, carrier: 'parcel-co' } }], {
          expectedVersion: events.length,
        });
      },
    }),
    reactor({
      name: 'orders',
      on: ['ShipmentDispatched', 'CancelOrder'],
      handle: (event, ctx) => {
        const orderId = orderIdOf(event.data);
        return decideOn(
          ctx,
          orderDecider,
          orderStream(orderId),
          event.type === 'CancelOrder'
            ? { type: 'Cancel', orderId, reason: (event.data as { reason?: string }).reason ?? 'failed' }
            : { type: 'Ship', orderId },
        );
      },
    }),
  ];
}

// ---- the same flow choreographed: each service reacts to the others' events ------------------------

/**
 * The same four services with no orchestrator: each reacts to the events of the one before, and
 * each event carries what the next service needs (the lines paid for, the units reserved), so no
 * service reads another's store.
 */
export function choreographedServices(options: ServiceOptions = {}) {
  const declineRate = options.declineRate ?? 0.05;
  return [
    reactor({
      name: 'payments',
      on: ['OrderPlaced', 'StockShort'],
      async handle(event, ctx) {
        const orderId = orderIdOf(event.data);
        if (event.type === 'OrderPlaced') {
          const { total, lines } = event.data as OrderPlacedData;
          const decline = unitHash(`decline:${orderId}`) < declineRate;
          return decideOn(ctx, paymentDecider, paymentStream(orderId), {
            type: 'Charge',
            orderId,
            amount: total,
            lines,
            decline,
          });
        }
        return decideOn(ctx, paymentDecider, paymentStream(orderId), { type: 'Refund', orderId });
      },
    }),
    reactor({
      name: 'inventory',
      on: ['PaymentSucceeded'],
      attempts: 30,
      async handle(event, ctx) {
        const orderId = orderIdOf(event.data);
        const { sku, qty } = line(event.data);
        return decideOn(ctx, stockDecider, stockStream(sku), { type: 'Reserve', sku, orderId, qty });
      },
    }),
    reactor({
      name: 'shipping',
      on: ['StockReserved'],
      async handle(event, ctx) {
        const { orderId, sku, qty } = event.data as { orderId: string; sku: string; qty: number };
        const lines = [{ sku, qty, price: CATALOG[sku]?.price ?? 0 }];
        const stream = shipmentStream(orderId);
        const events = await ctx.read(stream);
        if (events.some((e) => e.type === 'ShipmentDispatched')) return;
        ctx.append(stream, [{ type: 'ShipmentDispatched', data: { orderId, lines, carrier: 'parcel-co' } }], {
          expectedVersion: events.length,
        });
      },
    }),
    reactor({
      name: 'orders',
      on: ['ShipmentDispatched', 'PaymentFailed', 'PaymentRefunded'],
      handle: (event, ctx) => {
        const orderId = orderIdOf(event.data);
        if (event.type === 'ShipmentDispatched')
          return decideOn(ctx, orderDecider, orderStream(orderId), { type: 'Ship', orderId });
        const reason = event.type === 'PaymentFailed' ? 'payment declined' : 'out of stock';
        return decideOn(ctx, orderDecider, orderStream(orderId), { type: 'Cancel', orderId, reason });
      },
    }),
  ];
}
