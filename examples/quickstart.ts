// The README's quick start, verbatim (a test checks that README and this file agree, and runs it).
// #region quickstart
import { ConcurrencyError, openStore } from 'factum';

const store = await openStore(process.env.FACTUM_STORE_URL ?? 'sqlite:./data/app.db'); // or 'memory:'

// A new stream: 'no_stream' makes a second "place" of the same order fail instead of duplicating it.
const { nextExpectedVersion } = await store.append(
  'order-42',
  [{ type: 'OrderPlaced', data: { customer: 'Ada', total: 4999 }, metadata: { userId: 'alice' } }],
  { expectedVersion: 'no_stream' },
);

// Append guarded by the version we read: if someone else wrote meanwhile, this throws ConcurrencyError.
try {
  await store.append('order-42', [{ type: 'OrderShipped', data: { carrier: 'DHL' } }], {
    expectedVersion: nextExpectedVersion,
  });
} catch (error) {
  if (!(error instanceof ConcurrencyError)) throw error;
  // reload, decide again, retry
}

// The stream, now and as it was.
const { events, version } = await store.readStream('order-42');
const asPlaced = await store.readStream('order-42', { toVersion: 1 });
const lastYear = await store.readStream('order-42', { until: new Date('2025-01-01') });
console.log(
  version,
  events.map((e) => e.type),
  asPlaced.events.length,
  lastYear.events.length,
);

// The global log: catch up from a stored position, then stay live until unsubscribed.
const subscription = store.subscribe({ after: 0n, categories: ['order'] }, async (event) => {
  console.log(event.position, event.streamId, event.type);
  if (event.type === 'OrderShipped') await subscription.unsubscribe();
});
await subscription.done;
await store.close();
// #endregion quickstart
