/**
 * Order fulfilment, orchestrated: charge, reserve, ship. A declined charge cancels the order; a stock
 * shortage refunds the charge, then cancels; a late carrier times the shipping step out and it is
 * sent again (the pivot: it cannot be undone, so it is last and retried, never compensated).
 */
import { defineSaga } from 'factum/sagas';
import type { OrderPlacedData } from './domain.js';

// #region fulfilment-saga
export const fulfilmentSaga = defineSaga({
  name: 'fulfilment',
  version: 1,
  startedBy: ['OrderPlaced'],
  correlate: (event) => (event.data as OrderPlacedData).orderId,
  steps: [
    {
      name: 'payment',
      action: ({ start }) => ({
        type: 'ChargePayment',
        data: { orderId: start.data.orderId, amount: start.data.total, lines: start.data.lines },
      }),
      awaits: { success: ['PaymentSucceeded'], failure: ['PaymentFailed'], timeout: '10s' },
      compensate: {
        action: ({ start }) => ({ type: 'RefundPayment', data: { orderId: start.data.orderId } }),
        awaits: { success: ['PaymentRefunded'], timeout: '10s' },
      },
    },
    {
      name: 'inventory',
      action: ({ start }) => ({
        type: 'ReserveStock',
        data: { orderId: start.data.orderId, lines: start.data.lines },
      }),
      awaits: { success: ['StockReserved'], failure: ['StockShort'], timeout: '10s' },
      compensate: {
        action: ({ start }) => ({
          type: 'ReleaseStock',
          data: { orderId: start.data.orderId, lines: start.data.lines },
        }),
        awaits: { success: ['StockReleased'], timeout: '10s' },
      },
    },
    {
      name: 'shipping',
      action: ({ start }) => ({
        type: 'ShipOrder',
        data: { orderId: start.data.orderId, lines: start.data.lines },
      }),
      awaits: { success: ['ShipmentDispatched', 'ShipmentConfirmed'], timeout: '2s' },
      retriable: true,
      retry: { attempts: 10, delay: '200ms' },
    },
  ],
  onCompensated: ({ start }) => ({
    type: 'CancelOrder',
    data: { orderId: start.data.orderId, reason: 'not fulfilled' },
  }),
});
// #endregion fulfilment-saga
