// The orders example: `npm start`. Opens the embedded SQLite store (or FACTUM_STORE_URL), runs one
// order through place → add items → ship with a decider, and prints the stream, the state, a temporal
// query, the audit trail, an old (v1) event read as v2, the order's summary from an async projection
// (the read side), and the tail of the global log.
import { openStore } from 'factum';
import { memoryProjectionStorage } from 'factum/projections';
import { type OrderSummary, startOrderSummaries } from './order-summary.js';
import { runOrder, writeLegacyOrder } from './orders.js';

const url = process.env.FACTUM_STORE_URL ?? 'sqlite:./data/orders.db';
const rawStore = await openStore(url);
// The read side: an async projection keeps one summary per order (SQLite: tables in the same file).
const projections = await startOrderSummaries(
  rawStore,
  url === 'memory:' ? { storage: memoryProjectionStorage(rawStore) } : {},
);
try {
  const orderId = new Date().toISOString().replace(/[-:.TZ]/g, '');
  const { streamId, store, events, version, state, asPlaced, audit } = await runOrder(rawStore, orderId);

  console.log(`Store: ${url}\n`);
  console.log(`Stream ${streamId} (version ${version}):`);
  for (const e of events) {
    console.log(
      `  v${e.version}  ${e.type.padEnd(13)} schema v${e.schemaVersion}  ${JSON.stringify(e.data)}`,
    );
  }
  console.log(`\nState now:         ${JSON.stringify(state)}`);
  console.log(`State at version 2: ${JSON.stringify(asPlaced)}`);
  console.log('\nAudit trail:');
  for (const entry of audit) {
    console.log(`  ${entry.when.toISOString()}  ${entry.what.padEnd(13)} by ${entry.who ?? '?'}`);
  }

  await writeLegacyOrder(rawStore, 'legacy-1');
  const [stored] = (await rawStore.readStream('order-legacy-1')).events;
  const [upcast] = (await store.readStream('order-legacy-1')).events;
  console.log('\nAn order placed before currencies existed:');
  console.log(`  stored  (schema v${stored?.schemaVersion}): ${JSON.stringify(stored?.data)}`);
  console.log(`  read as (schema v${upcast?.schemaVersion}): ${JSON.stringify(upcast?.data)}`);

  // Read-your-writes on an eventually consistent read model: wait until it has seen our last event.
  const last = events.at(-1)!;
  await projections.waitFor('order_summary', last.position);
  const summary = await projections.documents<OrderSummary>('order_summaries').get(orderId);
  const [status] = await projections.status('order_summary');
  console.log('\nRead model order_summaries (async projection order_summary):');
  console.log(`  ${JSON.stringify(summary)}`);
  console.log(
    `  lag: ${status?.behind} events behind, SLA ${status?.sla?.maxLagMs} ms ${status?.breached ? 'BREACHED' : 'met'}`,
  );

  // The global log: every event of every stream, in one order a consumer can resume from.
  const tail = [];
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: 1000 });
    if (page.events.length === 0) break;
    tail.push(...page.events);
    if (tail.length > 8) tail.splice(0, tail.length - 8);
    after = page.last;
  }
  console.log(`\nGlobal log (last ${tail.length} events; resume a consumer with { after: position }):`);
  for (const e of tail) {
    console.log(`  #${e.position}  ${e.streamId.padEnd(26)} ${e.type}`);
  }
} finally {
  await projections.stop();
  await rawStore.close();
}
