/**
 * The fulfilment services' deciders when a saga's step timed out and its compensation overtook the
 * action: the compensation of nothing is answered, and the late action then does nothing.
 */
import { foldEvents } from 'factum';
import { describe, expect, it } from 'vitest';
import { paymentDecider, stockDecider } from '../../examples/fulfilment/services.js';

const asList = <E>(decided: E | readonly E[]): E[] =>
  Array.isArray(decided) ? [...(decided as readonly E[])] : [decided as E];

describe('a compensation that overtakes its action', () => {
  it('payments: a refund before the charge refunds nothing, and the late charge takes nothing', () => {
    const refund = asList(
      paymentDecider.decide({ type: 'Refund', orderId: 'o1' }, paymentDecider.initialState()),
    );
    expect(refund).toEqual([{ type: 'PaymentRefunded', data: { orderId: 'o1', amount: 0 } }]);
    const after = foldEvents(paymentDecider, paymentDecider.initialState(), refund);
    const charge = { type: 'Charge' as const, orderId: 'o1', amount: 500, lines: [], decline: false };
    expect(asList(paymentDecider.decide(charge, after))).toEqual([]);
    expect(asList(paymentDecider.decide({ type: 'Refund', orderId: 'o1' }, after))).toEqual([]);
  });

  it('payments: a charged order is refunded its amount, once', () => {
    const charge = { type: 'Charge' as const, orderId: 'o1', amount: 500, lines: [], decline: false };
    const charged = foldEvents(
      paymentDecider,
      paymentDecider.initialState(),
      asList(paymentDecider.decide(charge, paymentDecider.initialState())),
    );
    const refund = asList(paymentDecider.decide({ type: 'Refund', orderId: 'o1' }, charged));
    expect(refund).toEqual([{ type: 'PaymentRefunded', data: { orderId: 'o1', amount: 500 } }]);
    expect(
      asList(
        paymentDecider.decide({ type: 'Refund', orderId: 'o1' }, foldEvents(paymentDecider, charged, refund)),
      ),
    ).toEqual([]);
  });

  it('inventory: a release before the reserve releases nothing, and the late reserve holds nothing', () => {
    const stocked = foldEvents(stockDecider, stockDecider.initialState(), [
      { type: 'StockInitialised', data: { sku: 'MUG', qty: 10 } },
    ]);
    const release = asList(stockDecider.decide({ type: 'Release', sku: 'MUG', orderId: 'o1' }, stocked));
    expect(release).toEqual([{ type: 'StockReleased', data: { sku: 'MUG', orderId: 'o1', qty: 0 } }]);
    const after = foldEvents(stockDecider, stocked, release);
    expect(after.available).toBe(10);
    expect(
      asList(stockDecider.decide({ type: 'Reserve', sku: 'MUG', orderId: 'o1', qty: 2 }, after)),
    ).toEqual([]);
    expect(asList(stockDecider.decide({ type: 'Release', sku: 'MUG', orderId: 'o1' }, after))).toEqual([]);
    // Another order still reserves.
    expect(
      asList(stockDecider.decide({ type: 'Reserve', sku: 'MUG', orderId: 'o2', qty: 2 }, after)),
    ).toEqual([{ type: 'StockReserved', data: { sku: 'MUG', orderId: 'o2', qty: 2 } }]);
  });
});
