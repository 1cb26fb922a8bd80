import { auditTrail, commandHandler, type EventStore, loadState, withSchemas } from 'factum';
import { orderDecider } from './order.js';
import { registry } from './schemas.js';

/**
 * Runs one order through place → add items → ship with the order decider, on a store that validates
 * every event against the registry and upcasts old ones. Returns what the example prints.
 */
export async function runOrder(rawStore: EventStore, orderId: string, userId = 'alice') {
  // #region orders-run
  const store = withSchemas(rawStore, registry);
  const handle = commandHandler(store, orderDecider);
  const streamId = `order-${orderId}`;
  const metadata = { correlationId: `checkout-${orderId}`, userId };

  await handle(streamId, { type: 'PlaceOrder', orderId, customer: 'Ada', currency: 'EUR' }, { metadata });
  await handle(streamId, { type: 'AddItem', sku: 'BOOK-1', qty: 2, price: 1250 }, { metadata });
  await handle(streamId, { type: 'AddItem', sku: 'PEN-7', qty: 1, price: 499 }, { metadata });
  const { state } = await handle(streamId, { type: 'ShipOrder', carrier: 'DHL' }, { metadata });

  // Temporal query: the order as it was after its second event. Audit: who did what, when.
  const asPlaced = await loadState(store, orderDecider, streamId, { toVersion: 2 });
  const audit = await auditTrail(store, streamId);
  // #endregion orders-run
  const { events, version } = await store.readStream(streamId);
  return { streamId, store, events, version, state, asPlaced: asPlaced.state, audit };
}

/**
 * An order written before OrderPlaced had a currency (schema v1), straight to the raw store as an old
 * version of the application would have. Read through the registry it arrives as v2 with 'USD'.
 */
export async function writeLegacyOrder(rawStore: EventStore, orderId: string): Promise<void> {
  const streamId = `order-${orderId}`;
  if ((await rawStore.readStream(streamId)).exists) return;
  await rawStore.append(
    streamId,
    [{ type: 'OrderPlaced', schemaVersion: 1, data: { orderId, customer: 'Grace' } }],
    {
      expectedVersion: 'no_stream',
    },
  );
}
