import type { EventStore, StoredEvent } from 'factum';

// #region orders-model
/** What happened to an order: facts in the past tense. */
export type OrderEvent =
  | { type: 'OrderPlaced'; data: { orderId: string; customer: string } }
  | { type: 'ItemAdded'; data: { sku: string; qty: number; price: number } }
  | { type: 'OrderShipped'; data: { carrier: string } };

export interface OrderState {
  status: 'none' | 'placed' | 'shipped';
  customer?: string;
  items: { sku: string; qty: number; price: number }[];
  total: number;
}

/** Current state is a left fold of the stream's events. */
export function evolve(state: OrderState, event: StoredEvent): OrderState {
  const e = event as unknown as OrderEvent;
  switch (e.type) {
    case 'OrderPlaced':
      return { ...state, status: 'placed', customer: e.data.customer };
    case 'ItemAdded':
      return { ...state, items: [...state.items, e.data], total: state.total + e.data.qty * e.data.price };
    case 'OrderShipped':
      return { ...state, status: 'shipped' };
    default:
      return state;
  }
}

export const initialState = (): OrderState => ({ status: 'none', items: [], total: 0 });
// #endregion orders-model

/** Places an order, adds two items and ships it, each step guarded by the version it read. */
export async function runOrder(store: EventStore, orderId: string, userId = 'alice') {
  const streamId = `order-${orderId}`;
  const metadata = { correlationId: `checkout-${orderId}`, userId };
  // #region orders-append
  // 'no_stream': this must be a new order. A second writer gets a ConcurrencyError, not a duplicate.
  let { nextExpectedVersion } = await store.append(
    streamId,
    [{ type: 'OrderPlaced', data: { orderId, customer: 'Ada' }, metadata }],
    { expectedVersion: 'no_stream' },
  );
  // Several events in one append are atomic: all are stored or none.
  ({ nextExpectedVersion } = await store.append(
    streamId,
    [
      { type: 'ItemAdded', data: { sku: 'BOOK-1', qty: 2, price: 1250 }, metadata },
      { type: 'ItemAdded', data: { sku: 'PEN-7', qty: 1, price: 499 }, metadata },
    ],
    { expectedVersion: nextExpectedVersion },
  ));
  await store.append(streamId, [{ type: 'OrderShipped', data: { carrier: 'DHL' }, metadata }], {
    expectedVersion: nextExpectedVersion,
  });
  // #endregion orders-append

  // #region orders-read
  const { events, version } = await store.readStream(streamId);
  const state = events.reduce(evolve, initialState());
  // #endregion orders-read
  return { streamId, events, version, state };
}
