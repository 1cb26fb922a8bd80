import type { Decider } from 'factum';
import { deciderSpec } from 'factum/testing';
import { describe, expect, it } from 'vitest';

type Command = { type: 'Ship'; carrier: string } | { type: 'Cancel' };
type Event =
  | { type: 'OrderPlaced'; data: { orderId: string } }
  | { type: 'OrderShipped'; data: { carrier: string } }
  | { type: 'OrderCancelled'; data: Record<string, never> };
type State = { status: 'none' | 'placed' | 'shipped' | 'cancelled' };

class OrderNotPlaced extends Error {}

const order: Decider<Command, Event, State> = {
  initialState: () => ({ status: 'none' }),
  evolve: (_, event) => {
    switch (event.type) {
      case 'OrderPlaced':
        return { status: 'placed' };
      case 'OrderShipped':
        return { status: 'shipped' };
      case 'OrderCancelled':
        return { status: 'cancelled' };
    }
  },
  decide: (command, state) => {
    if (state.status === 'none') throw new OrderNotPlaced(`cannot ${command.type}: no order`);
    if (command.type === 'Ship') {
      return state.status === 'placed' ? [{ type: 'OrderShipped', data: { carrier: command.carrier } }] : [];
    }
    return state.status === 'placed' ? { type: 'OrderCancelled', data: {} } : [];
  },
};

const placed: Event = { type: 'OrderPlaced', data: { orderId: '42' } };
const given = deciderSpec(order);

describe('deciderSpec: given/when/then', () => {
  it('then: the decided events', () => {
    given([placed])
      .when({ type: 'Ship', carrier: 'dhl' })
      .then([{ type: 'OrderShipped', data: { carrier: 'dhl' } }]);
    given(placed).when({ type: 'Cancel' }).then({ type: 'OrderCancelled', data: {} });
    given([placed]).when({ type: 'Ship', carrier: 'dhl' }).thenState({ status: 'shipped' });
  });

  it('thenThrows: by class, message, pattern or predicate; returns the error', () => {
    given().when({ type: 'Cancel' }).thenThrows(OrderNotPlaced);
    given([]).when({ type: 'Cancel' }).thenThrows(Error);
    given([]).when({ type: 'Cancel' }).thenThrows('no order');
    given([])
      .when({ type: 'Cancel' })
      .thenThrows(/^cannot Cancel/);
    const error = given([])
      .when({ type: 'Ship', carrier: 'x' })
      .thenThrows((e) => e instanceof OrderNotPlaced);
    expect((error as Error).message).toBe('cannot Ship: no order');
  });

  it('thenNothingHappened: no event', () => {
    given([placed, { type: 'OrderShipped', data: { carrier: 'dhl' } }])
      .when({ type: 'Ship', carrier: 'ups' })
      .thenNothingHappened();
  });

  it('fails when the decider does something else', () => {
    expect(() => given([placed]).when({ type: 'Ship', carrier: 'dhl' }).then([])).toThrow();
    expect(() => given([placed]).when({ type: 'Ship', carrier: 'dhl' }).thenNothingHappened()).toThrow();
    expect(() => given([placed]).when({ type: 'Ship', carrier: 'dhl' }).thenThrows()).toThrow(
      /Expected decide to throw, but it returned 1 event/,
    );
    expect(() => given([]).when({ type: 'Cancel' }).thenThrows(TypeError)).toThrow();
    expect(() => given([]).when({ type: 'Cancel' }).thenThrows('other text')).toThrow();
    expect(() =>
      given([])
        .when({ type: 'Cancel' })
        .thenThrows(() => false),
    ).toThrow(/did not match/);
    // An unexpected error is not swallowed by then().
    expect(() => given([]).when({ type: 'Cancel' }).then([])).toThrow(OrderNotPlaced);
  });
});
