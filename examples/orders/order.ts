import type { Decider } from 'factum';

// #region order-decider
export type OrderCommand =
  | { type: 'PlaceOrder'; orderId: string; customer: string; currency: 'USD' | 'EUR' }
  | { type: 'AddItem'; sku: string; qty: number; price: number }
  | { type: 'ShipOrder'; carrier: string };

/** What happened to an order: facts in the past tense. */
export type OrderEvent =
  | { type: 'OrderPlaced'; data: { orderId: string; customer: string; currency: string } }
  | { type: 'ItemAdded'; data: { sku: string; qty: number; price: number } }
  | { type: 'OrderShipped'; data: { carrier: string } };

export interface OrderState {
  status: 'none' | 'placed' | 'shipped';
  customer?: string;
  currency?: string;
  items: { sku: string; qty: number; price: number }[];
  total: number;
}

/** A broken business rule: thrown by decide, it reaches the caller and nothing is written. */
export class OrderRuleError extends Error {}

/** The order aggregate as plain data: decide checks the rules, evolve folds facts into state. */
export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  name: 'order',
  initialState: () => ({ status: 'none', items: [], total: 0 }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'OrderPlaced':
        return { ...state, status: 'placed', customer: event.data.customer, currency: event.data.currency };
      case 'ItemAdded':
        return {
          ...state,
          items: [...state.items, event.data],
          total: state.total + event.data.qty * event.data.price,
        };
      case 'OrderShipped':
        return { ...state, status: 'shipped' };
      default:
        return state;
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'PlaceOrder':
        if (state.status !== 'none') throw new OrderRuleError('the order is already placed');
        return {
          type: 'OrderPlaced',
          data: { orderId: command.orderId, customer: command.customer, currency: command.currency },
        };
      case 'AddItem':
        if (state.status !== 'placed')
          throw new OrderRuleError(`cannot add items to an order that is ${state.status}`);
        return { type: 'ItemAdded', data: { sku: command.sku, qty: command.qty, price: command.price } };
      case 'ShipOrder':
        if (state.status !== 'placed')
          throw new OrderRuleError(`cannot ship an order that is ${state.status}`);
        if (state.items.length === 0) throw new OrderRuleError('cannot ship an empty order');
        return { type: 'OrderShipped', data: { carrier: command.carrier } };
    }
  },
  // Load from the latest snapshot instead of event 1 once a stream grows; bump schemaVersion when
  // OrderState changes and old snapshots are ignored and rebuilt.
  snapshot: { every: 100, schemaVersion: 1 },
};
// #endregion order-decider
