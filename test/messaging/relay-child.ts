/**
 * A relay in its own process, for the crash test: relay-child <target> <broker> <namespace> <crash-after>
 * <target> is a SQLite file, or `postgres:<schema>` for a PostgreSQL store. Publishes the store's log
 * to the broker in batches of 50. With crash-after > 0 it kills itself with SIGKILL right after that
 * many batches were confirmed by the broker and before their checkpoint is saved; with 0 it runs until
 * the checkpoint reaches the head of the log, then exits.
 */
import type { EventStore } from 'factum';
import { followStorageOf, loadCheckpoint } from 'factum/follow';
import { eventLogSource, relayCheckpoint, startRelay } from 'factum/messaging';
import { createPostgresStore } from 'factum/postgres';
import { createSqliteStore } from 'factum/sqlite';
import { type BrokerKind, openBroker } from '../support/brokers.js';
import { sleep } from '../support/helpers.js';
import { services } from '../support/services.js';

// Never outlive a test run that failed before killing or waiting for this process.
setTimeout(() => process.exit(3), 60_000).unref();

const [target, kind, namespace, crashAfterText] = process.argv.slice(2) as [
  string,
  BrokerKind,
  string,
  string,
];
const crashAfter = Number(crashAfterText);
let store: EventStore & { close(): Promise<void> };
if (target.startsWith('postgres:')) {
  const schema = target.slice('postgres:'.length);
  store = await createPostgresStore({ connectionString: services.postgres, schema });
} else {
  store = createSqliteStore(target);
}
const storage = followStorageOf(store);
const broker = await openBroker(kind, namespace);
const relay = startRelay({
  source: eventLogSource(store, { name: 'crash-relay' }),
  broker,
  batchSize: 50,
  leaseTtlMs: 1000,
  idleMs: 20,
});
let batches = 0;
relay.on('relay.published', () => {
  if (++batches === crashAfter) process.kill(process.pid, 'SIGKILL');
});
const head = (await store.readAll({ after: 0n, limit: 1_000_000 })).last;
while ((await loadCheckpoint(storage, relayCheckpoint('crash-relay'))) < head) {
  const status = relay.status();
  if (status.state === 'failed') throw status.error;
  await sleep(20);
}
await relay.stop();
await broker.close();
await store.close();
