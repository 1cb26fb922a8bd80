/**
 * A saga application in a child process, for the tests that kill one with SIGKILL.
 *   saga-process.ts <store-url> run        the reference flow and its services, until killed
 *   saga-process.ts <store-url> timeouts   a saga whose only step times out, until killed
 *   saga-process.ts <store-url> handle <at-ms> <event-id>   applies one stored event at <at-ms>, prints the outcome
 */
import { openStore, type StoredEvent } from 'factum';
import { createSagas, defineSaga } from 'factum/sagas';
import { fulfilmentServices, orderFulfilment } from '../../../examples/sagas/order-fulfilment.js';
import { fourSteps } from './harness.js';

const [url, mode, ...rest] = process.argv.slice(2);
const store = await openStore(url!);
const lease = { strategy: 'row' as const, ttlMs: 1_000, renewEveryMs: 200, acquireEveryMs: 50 };

export const waits = defineSaga({
  name: 'waits',
  version: 1,
  startedBy: ['Begun'],
  correlate: (e) => (e.data as { id?: string }).id,
  steps: [
    {
      name: 'wait',
      action: ({ start }) => ({ type: 'Ask', data: { id: start.data.id } }),
      awaits: { success: ['Never'], timeout: 800 },
    },
  ],
});

if (mode === 'run') {
  const sagas = await createSagas(store, {
    sagas: [orderFulfilment],
    reactors: fulfilmentServices(store, { declineAbove: 500 }),
    lease,
    concurrency: 8,
    pageSize: 20,
  });
  sagas.on('error', ({ component, error }) => console.error(component, error));
  sagas.start();
  console.log('ready');
} else if (mode === 'timeouts') {
  const sagas = await createSagas(store, { sagas: [waits], lease, timeoutPollMs: 20 });
  sagas.on('timeout-fired', (t) => console.log(`fired ${t.correlationId} ${t.token}`));
  sagas.start();
  console.log('ready');
} else if (mode === 'handle') {
  const [at, eventId] = rest;
  const sagas = await createSagas(store, { sagas: [fourSteps()] });
  let event: StoredEvent | undefined;
  for (let after = 0n; event === undefined; ) {
    const page = await store.readAll({ after, limit: 1_000 });
    if (page.events.length === 0) throw new Error(`event ${eventId} not found`);
    event = page.events.find((e) => e.id === eventId);
    after = page.last;
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(at) - Date.now())));
  console.log(`outcome ${(await sagas.handle(event)).join(',')}`);
  await store.close();
  process.exit(0);
}
