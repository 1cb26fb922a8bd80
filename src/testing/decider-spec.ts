import { expect } from 'vitest';
import type { Decider, DomainEvent } from '../core/decider.js';
import { decidedEvents, foldEvents } from '../core/decider.js';

/** What a thrown error must match: its class, a message (part or pattern), or a predicate/assertion. */
export type ErrorExpectation =
  | (abstract new (
      ...args: never[]
    ) => unknown)
  | string
  | RegExp
  | ((error: unknown) => boolean | undefined);

export interface DeciderThen<Event, State> {
  /** decide returned exactly these events (one or several), in order. */
  then(expected: Event | readonly Event[]): void;
  /** decide threw; the error matches `expectation` when given. Returns the error for more checks. */
  thenThrows(expectation?: ErrorExpectation): unknown;
  /** decide returned no event. */
  thenNothingHappened(): void;
  /** The state after the given events and the decided ones equals `expected`. */
  thenState(expected: State): void;
}

export interface DeciderWhen<Command, Event, State> {
  when(command: Command): DeciderThen<Event, State>;
}

export type DeciderGiven<Command, Event, State> = (
  events?: Event | readonly Event[],
) => DeciderWhen<Command, Event, State>;

/**
 * Given/when/then for a decider, without a store:
 *
 * ```ts
 * const given = deciderSpec(orderDecider);
 * given([placed]).when({ type: 'ShipOrder' }).then([{ type: 'OrderShipped', data: { orderId: '42' } }]);
 * given([]).when({ type: 'ShipOrder' }).thenThrows(OrderNotPlaced);
 * given([placed, shipped]).when({ type: 'ShipOrder' }).thenNothingHappened();
 * ```
 */
export function deciderSpec<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
): DeciderGiven<Command, Event, State> {
  return (given = []) => {
    const history = decidedEvents<Event>(given);
    return {
      when(command) {
        const run = (): { events: Event[]; state: State } => {
          const state = foldEvents(decider, decider.initialState(), history);
          const events = decidedEvents<Event>(decider.decide(command, state));
          return { events, state: foldEvents(decider, state, events) };
        };
        return {
          // biome-ignore lint/suspicious/noThenProperty: given/when/then is the established vocabulary; do not await it.
          then(expected) {
            expect(run().events).toEqual(decidedEvents<Event>(expected));
          },
          thenThrows(expectation) {
            let events: Event[];
            try {
              events = run().events;
            } catch (error) {
              if (expectation !== undefined) checkError(error, expectation);
              return error;
            }
            throw new Error(
              `Expected decide to throw, but it returned ${events.length} event(s): ${JSON.stringify(events)}`,
            );
          },
          thenNothingHappened() {
            expect(run().events).toEqual([]);
          },
          thenState(expected) {
            expect(run().state).toEqual(expected);
          },
        };
      },
    };
  };
}

function checkError(error: unknown, expectation: ErrorExpectation): void {
  if (typeof expectation === 'string') {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(expectation);
  } else if (expectation instanceof RegExp) {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(expectation);
  } else if (isClass(expectation)) {
    expect(error).toBeInstanceOf(expectation);
  } else {
    const verdict = (expectation as (error: unknown) => boolean | undefined)(error);
    if (verdict === false) throw new Error(`The thrown error did not match: ${String(error)}`);
  }
}

function isClass(value: unknown): value is abstract new (...args: never[]) => unknown {
  if (typeof value !== 'function' || value.prototype === undefined) return false;
  return (
    value === Error ||
    value.prototype instanceof Error ||
    /^class[\s{]/.test(Function.prototype.toString.call(value))
  );
}
