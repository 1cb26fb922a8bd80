/**
 * A consumer of the SQLite transport in its own process, for the cross-process tests:
 *   sqlite-broker-child <file> <namespace> <group> <hang-at>
 * Opens the store in <file>, shares it with the broker and an inbox, and consumes <group>: each event's
 * effect (a row in `effects`) and its inbox record commit together. Prints `ready`, then
 * `handled <id> <deliveryCount>` or `duplicate <id> <deliveryCount>` per delivery. With hang-at > 0,
 * the hang-at-th handled event's effect commits, `hung <id>` is printed, and its handler never returns,
 * so the broker never sees it acknowledged until the parent kills this process.
 */
import { createSqliteBroker, sqliteInbox } from 'factum/messaging';
import { createSqliteStore } from 'factum/sqlite';

// Never outlive a test run that failed before killing this process.
setTimeout(() => process.exit(3), 60_000).unref();

const [file, namespace, group, hangAtText] = process.argv.slice(2) as [string, string, string, string];
const hangAt = Number(hangAtText);
const store = createSqliteStore(file);
const broker = createSqliteBroker({ store, namespace, pollMs: 20, leaseMs: 1000 });
const inbox = sqliteInbox(store);
const record = store.database.prepare(
  'INSERT INTO effects (event_id, stream_id, version, pid) VALUES (?, ?, ?, ?)',
);
let handled = 0;
// consume(broker, handler, { inbox }) does the same in one call; spelled out to hang after the commit.
await broker.consume({ group, prefetch: 10 }, async (event, context) => {
  const result = await inbox.process(group, event, (tx) => {
    if (tx !== store.database) throw new Error('the inbox should hand over the store connection');
    record.run(event.id, event.streamId, event.version, process.pid);
  });
  process.stdout.write(
    `${result === 'processed' ? 'handled' : 'duplicate'} ${event.id} ${context.deliveryCount}\n`,
  );
  if (result === 'processed' && ++handled === hangAt) {
    process.stdout.write(`hung ${event.id}\n`);
    await new Promise(() => {});
  }
});
process.stdout.write('ready\n');
