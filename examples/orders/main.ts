// The orders example: `npm start`. Opens the embedded SQLite store (or FACTUM_STORE_URL), runs one
// order through place → add items → ship, and prints the stream, the state and the tail of the global log.
import { openStore } from 'factum';
import { runOrder } from './orders.js';

const url = process.env.FACTUM_STORE_URL ?? 'sqlite:./data/orders.db';
const store = await openStore(url);
try {
  const orderId = new Date().toISOString().replace(/[-:.TZ]/g, '');
  const { streamId, events, version, state } = await runOrder(store, orderId);

  console.log(`Store: ${url}\n`);
  console.log(`Stream ${streamId} (version ${version}):`);
  for (const e of events) {
    console.log(`  v${e.version}  ${e.type.padEnd(13)} ${JSON.stringify(e.data)}  by ${e.metadata.userId}`);
  }
  console.log('\nState (a fold of the events):');
  console.log(`  ${JSON.stringify(state)}`);

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
    console.log(`  #${e.position}  ${e.streamId.padEnd(24)} ${e.type}`);
  }
} finally {
  await store.close();
}
