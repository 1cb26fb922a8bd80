import { createMemoryStore } from 'factum';
import { createSagas, defineSaga } from 'factum/sagas';
import { expectSagaReplays, replaySagaStreams, sagaSpec } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { fulfilmentServices, orderFulfilment } from '../../examples/sagas/order-fulfilment.js';
import { waitUntil } from '../support/helpers.js';

const placed = { type: 'OrderPlaced', data: { orderId: '42', total: 100, items: [{ sku: 'LAMP', qty: 1 }] } };

describe('sagaSpec', () => {
  // #region saga-spec
  it('walks the reference flow, failures and timeouts included', () => {
    const saga = sagaSpec(orderFulfilment);
    saga
      .given([])
      .when(placed)
      .then({ type: 'ChargePayment', data: { orderId: '42', amount: 100 } });
    saga
      .given([placed, { type: 'PaymentSucceeded', data: { orderId: '42' } }])
      .when({ type: 'InsufficientStock', data: { orderId: '42' } })
      .then([
        { type: 'RefundPayment', data: { orderId: '42', amount: 100 } },
        { type: 'CancelOrder', data: { orderId: '42', reason: 'failed' } },
      ])
      .thenStatus('compensated');
    // No answer from the payment service within 30 s: its outcome is unknown, so it is refunded, and
    // the order is cancelled.
    saga
      .given([placed])
      .whenTimePasses('31s')
      .then([
        { type: 'RefundPayment', data: { orderId: '42', amount: 100 } },
        { type: 'CancelOrder', data: { orderId: '42', reason: 'timeout' } },
      ]);
    // A duplicate delivery changes nothing.
    const reply = {
      id: '0190f0a0-0000-7000-8000-000000000001',
      type: 'PaymentSucceeded',
      data: { orderId: '42' },
    };
    saga.given([placed, reply]).when(reply).thenNothingHappened();
  });
  // #endregion saga-spec

  it('moves the clock only as far as asked: a timeout not yet due does not fire', () => {
    sagaSpec(orderFulfilment)
      .given([placed])
      .whenTimePasses('29s')
      .thenNothingHappened()
      .thenStatus('running');
    sagaSpec(orderFulfilment)
      .given([
        placed,
        { type: 'PaymentSucceeded', data: { orderId: '42' } },
        { type: 'InventoryReserved', data: { orderId: '42' } },
      ])
      .whenTimePasses(60_500)
      .thenEvents(['SagaTimeoutFired', 'SagaStepFailed', 'SagaTimeoutScheduled'])
      .thenStatus('running');
  });
});

describe('deadlines', () => {
  const timed = defineSaga({
    name: 'timed',
    version: 1,
    startedBy: ['Begun'],
    correlate: (e) => (e.data as { id?: string }).id,
    deadline: '10m',
    steps: [
      {
        name: 'a',
        action: () => ({ type: 'DoA', data: {} }),
        awaits: { success: ['DoneA'] },
        compensate: () => ({ type: 'UndoA', data: {} }),
      },
      {
        name: 'b',
        action: () => ({ type: 'DoB', data: {} }),
        awaits: { success: ['DoneB'] },
        compensate: () => ({ type: 'UndoB', data: {} }),
      },
    ],
  });
  const begun = { type: 'Begun', data: { id: '1' } };

  it('compensates what was done (the pending step too) when the saga misses its deadline', () => {
    sagaSpec(timed)
      .given([begun, { type: 'DoneA', data: { id: '1' } }])
      .whenTimePasses('10m')
      .then([
        { type: 'UndoB', data: {} },
        { type: 'UndoA', data: {} },
      ])
      .thenStatus('compensated');
  });

  it('cancels the deadline when the saga completes in time', () => {
    const done = sagaSpec(timed)
      .given([begun, { type: 'DoneA', data: { id: '1' } }])
      .when({ type: 'DoneB', data: { id: '1' } })
      .thenStatus('completed');
    expect(done.state.timeouts.size).toBe(0);
  });
});

describe('replaySagaStreams', () => {
  it('replays recorded streams against the current definition and reports a divergence', async () => {
    const store = createMemoryStore();
    const stock = new Map([['LAMP', 1]]);
    const sagas = await createSagas(store, {
      sagas: [orderFulfilment],
      reactors: fulfilmentServices(store, { declineAbove: 500, stock }),
    });
    sagas.start();
    for (const [id, total] of [
      ['a', 100],
      ['b', 900],
      ['c', 100],
    ] as const) {
      await store.append(`order-${id}`, [
        { type: 'OrderPlaced', data: { orderId: id, total, items: [{ sku: 'LAMP', qty: 1 }] } },
      ]);
    }
    await waitUntil(async () => (await sagas.status({ state: 'compensated' })).length === 2, 10_000);
    await sagas.stop();
    const streams = await Promise.all(
      ['a', 'b', 'c'].map(async (id) => (await store.readStream(`saga_order_fulfilment-${id}`)).events),
    );

    expectSagaReplays([orderFulfilment], streams);
    const changed = defineSaga({
      name: 'order_fulfilment',
      version: 1,
      startedBy: ['OrderPlaced'],
      correlate: orderFulfilment.correlate,
      steps: orderFulfilment.steps.map((s) =>
        s.name === 'inventory'
          ? {
              ...s,
              action: () => ({ type: 'ReserveStock', data: {} }),
              compensate: s.compensation!.action,
              awaits: { ...s.awaits!, timeout: s.awaits!.timeoutMs },
            }
          : {
              ...s,
              compensate: s.compensation?.action,
              awaits: s.awaits === undefined ? undefined : { ...s.awaits, timeout: s.awaits.timeoutMs },
            },
      ) as never,
      onCompensated: orderFulfilment.onCompensated,
    });
    const divergences = replaySagaStreams([changed], streams);
    expect(divergences.map((d) => d.streamId).sort()).toEqual([
      'saga_order_fulfilment-a',
      'saga_order_fulfilment-c',
    ]);
    expect(divergences[0]!.recorded.join(' ')).toContain('ReserveInventory');
    expect(divergences[0]!.decided.join(' ')).toContain('ReserveStock');
  });
});
