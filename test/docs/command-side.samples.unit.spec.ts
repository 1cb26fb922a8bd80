// The code samples of docs/command-side.md live here, between `// #region name` and `// #endregion name`;
// docs-samples.unit.spec.ts checks that the page shows exactly this code.
import {
  auditTrail,
  commandHandler,
  createMemoryStore,
  createSchemaRegistry,
  type Decider,
  loadState,
  RetriesExhaustedError,
  SchemaValidationError,
  withSchemas,
} from 'factum';
import { deciderSpec } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';

// #region decider
type OrderCommand =
  | { type: 'PlaceOrder'; orderId: string; total: number; currency: 'USD' | 'EUR' }
  | { type: 'ShipOrder'; carrier: string }
  | { type: 'CorrectAmount'; total: number; reason: string };

type OrderEvent =
  | { type: 'OrderPlaced'; data: { orderId: string; total: number; currency: string } }
  | { type: 'OrderShipped'; data: { carrier: string } }
  | { type: 'OrderAmountCorrected'; data: { total: number; reason: string } };

type OrderState = { status: 'none' | 'placed' | 'shipped'; total: number; currency?: string };

class OrderRuleViolated extends Error {}

const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  name: 'order',
  initialState: () => ({ status: 'none', total: 0 }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'OrderPlaced':
        return { status: 'placed', total: event.data.total, currency: event.data.currency };
      case 'OrderShipped':
        return { ...state, status: 'shipped' };
      case 'OrderAmountCorrected':
        return { ...state, total: event.data.total };
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'PlaceOrder':
        if (state.status !== 'none') throw new OrderRuleViolated('order already placed');
        return {
          type: 'OrderPlaced',
          data: { orderId: command.orderId, total: command.total, currency: command.currency },
        };
      case 'ShipOrder':
        if (state.status === 'none') throw new OrderRuleViolated('cannot ship an order that was not placed');
        return state.status === 'shipped'
          ? []
          : [{ type: 'OrderShipped', data: { carrier: command.carrier } }];
      case 'CorrectAmount':
        return { type: 'OrderAmountCorrected', data: { total: command.total, reason: command.reason } };
    }
  },
  // Load from a snapshot instead of replaying the whole stream; bump schemaVersion when OrderState changes.
  snapshot: { every: 100, schemaVersion: 1 },
};
// #endregion decider

// #region registry
const registry = createSchemaRegistry()
  .register({
    type: 'OrderPlaced',
    category: 'order',
    version: 1,
    schema: {
      type: 'object',
      properties: { orderId: { type: 'string' }, total: { type: 'integer', minimum: 0 } },
      required: ['orderId', 'total'],
    },
  })
  .register({
    type: 'OrderPlaced',
    version: 2,
    schema: {
      type: 'object',
      properties: {
        orderId: { type: 'string' },
        total: { type: 'integer', minimum: 0 },
        currency: { type: 'string', enum: ['USD', 'EUR'], default: 'USD' },
      },
      required: ['orderId', 'total', 'currency'],
    },
  })
  // Events stored as v1 are read as v2; the stored rows never change.
  .upcaster({
    type: 'OrderPlaced',
    fromVersion: 1,
    toVersion: 2,
    upcast: (data) => ({ ...data, currency: 'USD' }),
  });
// #endregion registry

describe('docs/command-side.md samples', () => {
  it('handles commands', async () => {
    // #region handle
    const store = withSchemas(createMemoryStore(), registry); // or openStore('sqlite:./data/app.db')
    const handle = commandHandler(store, orderDecider);

    const placed = await handle(
      'order-42',
      { type: 'PlaceOrder', orderId: '42', total: 4999, currency: 'EUR' },
      { metadata: { correlationId: 'checkout-7', userId: 'alice' } },
    );
    // placed.events: [{ type: 'OrderPlaced', … }], placed.state.status: 'placed', placed.nextExpectedVersion: 1

    await handle('order-42', { type: 'ShipOrder', carrier: 'dhl' }, { metadata: { userId: 'bob' } });

    // A domain error thrown by decide reaches the caller unchanged, and nothing is written.
    const refused = await handle('order-43', { type: 'ShipOrder', carrier: 'dhl' }).catch(
      (error: unknown) => error,
    );
    // #endregion handle
    expect(placed.events).toEqual([
      { type: 'OrderPlaced', data: { orderId: '42', total: 4999, currency: 'EUR' } },
    ]);
    expect(placed.state.status).toBe('placed');
    expect(placed.nextExpectedVersion).toBe(1);
    expect(refused).toBeInstanceOf(OrderRuleViolated);
    expect((await store.readStream('order-43')).exists).toBe(false);

    // #region invalid
    const error = await handle('order-44', {
      type: 'PlaceOrder',
      orderId: '44',
      total: -1,
      currency: 'GBP' as 'USD',
    }).catch((e: unknown) => e);
    // SchemaValidationError: Append to order-44 rejected: 2 schema violations
    //   events[0] OrderPlaced v2 /total: must be >= 0
    //   events[0] OrderPlaced v2 /currency: must be equal to one of the allowed values: "USD", "EUR"
    // #endregion invalid
    expect(error).toBeInstanceOf(SchemaValidationError);
    expect((error as Error).message).toBe(
      'Append to order-44 rejected: 2 schema violations\n' +
        '  events[0] OrderPlaced v2 /total: must be >= 0\n' +
        '  events[0] OrderPlaced v2 /currency: must be equal to one of the allowed values: "USD", "EUR"',
    );
    expect((await store.readStream('order-44')).exists).toBe(false);
  });

  it('upcasts v1 events on read', async () => {
    const inner = createMemoryStore();
    await inner.append('order-7', [
      { type: 'OrderPlaced', schemaVersion: 1, data: { orderId: '7', total: 100 } },
    ]);
    // #region upcast
    const store = withSchemas(inner, registry);
    const [event] = (await store.readStream('order-7')).events;
    // event.schemaVersion: 2, event.data: { orderId: '7', total: 100, currency: 'USD' }
    // #endregion upcast
    expect(event).toMatchObject({ schemaVersion: 2, data: { orderId: '7', total: 100, currency: 'USD' } });
    expect((await inner.readStream('order-7')).events[0]).toMatchObject({
      schemaVersion: 1,
      data: { orderId: '7', total: 100 },
    });
  });

  it('answers temporal queries, keeps an audit trail and corrects with compensating events', async () => {
    const store = withSchemas(createMemoryStore(), registry);
    const handle = commandHandler(store, orderDecider);
    await handle(
      'order-42',
      { type: 'PlaceOrder', orderId: '42', total: 5000, currency: 'USD' },
      { metadata: { userId: 'alice' } },
    );
    await sleep(20);
    const beforeCorrection = new Date();
    await sleep(20);
    // #region correction
    // The order was keyed as 5000 instead of 4500: never edit the stored event, append a correction.
    await handle(
      'order-42',
      { type: 'CorrectAmount', total: 4500, reason: 'price keyed wrong' },
      { metadata: { userId: 'auditor' } },
    );
    // #endregion correction
    // #region temporal
    const now = await loadState(store, orderDecider, 'order-42');
    const then = await loadState(store, orderDecider, 'order-42', { until: beforeCorrection });
    const atVersion1 = await loadState(store, orderDecider, 'order-42', { toVersion: 1 });
    // now.state.total: 4500, then.state.total: 5000, atVersion1.state.total: 5000

    const trail = await auditTrail(store, 'order-42');
    // [{ when: Date, what: 'OrderPlaced', who: 'alice', data: { … } },
    //  { when: Date, what: 'OrderAmountCorrected', who: 'auditor', data: { total: 4500, reason: 'price keyed wrong' } }]
    // #endregion temporal
    expect([now.state.total, then.state.total, atVersion1.state.total]).toEqual([4500, 5000, 5000]);
    expect(trail.map((e) => [e.what, e.who])).toEqual([
      ['OrderPlaced', 'alice'],
      ['OrderAmountCorrected', 'auditor'],
    ]);
    expect(trail[1]!.data).toEqual({ total: 4500, reason: 'price keyed wrong' });
  });

  it('retries conflicts and reports exhaustion', async () => {
    const store = createMemoryStore();
    // #region retry
    const handleWithRetry = commandHandler(store, orderDecider, {
      retry: { retries: 10, initialDelayMs: 2, maxDelayMs: 200, jitter: 1 }, // the defaults
      onSnapshotError: (error, { operation, streamId }) =>
        console.warn(`snapshot ${operation} failed for ${streamId}`, error),
    });
    // #endregion retry
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        handleWithRetry('order-9', { type: 'CorrectAmount', total: 1, reason: 'x' }),
      ),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(RetriesExhaustedError).toBeDefined();
  });

  it('tests a decider with given/when/then', () => {
    // #region given
    const given = deciderSpec(orderDecider);
    const placed = { type: 'OrderPlaced', data: { orderId: '42', total: 4999, currency: 'USD' } } as const;

    given([placed])
      .when({ type: 'ShipOrder', carrier: 'dhl' })
      .then([{ type: 'OrderShipped', data: { carrier: 'dhl' } }]);
    given([]).when({ type: 'ShipOrder', carrier: 'dhl' }).thenThrows(OrderRuleViolated);
    given([placed, { type: 'OrderShipped', data: { carrier: 'dhl' } }])
      .when({ type: 'ShipOrder', carrier: 'ups' })
      .thenNothingHappened();
    // #endregion given
  });
});
