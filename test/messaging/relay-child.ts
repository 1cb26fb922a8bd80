/**
 * A relay in its own process, for the crash test: relay-child <db-file> <broker> <namespace> <crash-after>
 * Publishes the SQLite file's log to the broker in batches of 50. With crash-after > 0 it kills itself
 * with SIGKILL right after that many batches were confirmed by the broker and before their checkpoint
 * is saved; with 0 it runs until the checkpoint reaches the head of the log, then exits.
 */
import { eventLogSource, sqliteCheckpoints, sqliteLeases, startRelay } from 'factum/messaging';
import { createSqliteStore } from 'factum/sqlite';
import { type BrokerKind, openBroker } from '../support/brokers.js';

// Never outlive a test run that failed before killing or waiting for this process.
setTimeout(() => process.exit(3), 60_000).unref();

const [file, kind, namespace, crashAfterText] = process.argv.slice(2) as [string, BrokerKind, string, string];
const crashAfter = Number(crashAfterText);
const store = createSqliteStore(file);
const broker = await openBroker(kind, namespace);
const checkpoints = sqliteCheckpoints(store);
const relay = startRelay({
  source: eventLogSource(store, checkpoints, { name: 'crash-relay' }),
  broker,
  leases: sqliteLeases(store),
  batchSize: 50,
  leaseTtlMs: 1000,
  idleMs: 20,
});
let batches = 0;
relay.on('relay.published', () => {
  if (++batches === crashAfter) process.kill(process.pid, 'SIGKILL');
});
const head = (await store.readAll({ after: 0n, limit: 1_000_000 })).last;
while ((await checkpoints.load('crash-relay')) < head) {
  const status = relay.status();
  if (status.state === 'failed') throw status.error;
  await new Promise((r) => setTimeout(r, 20));
}
await relay.stop();
await broker.close();
await store.close();
