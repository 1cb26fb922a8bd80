/**
 * A relay in its own process, for the crash test: relay-child <target> <broker> <namespace> <crash-after>
 * <target> is a SQLite file, or `postgres:<schema>` for a PostgreSQL store. Publishes the store's log
 * to the broker in batches of 50. With crash-after > 0 it kills itself with SIGKILL right after that
 * many batches were confirmed by the broker and before their checkpoint is saved; with 0 it runs until
 * the checkpoint reaches the head of the log, then exits.
 */
import type { EventStore } from 'factum';
import {
  type CheckpointStore,
  eventLogSource,
  type LeaseStore,
  postgresCheckpoints,
  postgresLeases,
  sqliteCheckpoints,
  sqliteLeases,
  startRelay,
} from 'factum/messaging';
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
let checkpoints: CheckpointStore;
let leases: LeaseStore;
if (target.startsWith('postgres:')) {
  const schema = target.slice('postgres:'.length);
  const pgStore = await createPostgresStore({ connectionString: services.postgres, schema });
  checkpoints = postgresCheckpoints(pgStore);
  leases = postgresLeases(pgStore);
  store = pgStore;
} else {
  const sqliteStore = createSqliteStore(target);
  checkpoints = sqliteCheckpoints(sqliteStore);
  leases = sqliteLeases(sqliteStore);
  store = sqliteStore;
}
const broker = await openBroker(kind, namespace);
const relay = startRelay({
  source: eventLogSource(store, checkpoints, { name: 'crash-relay' }),
  broker,
  leases,
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
  await sleep(20);
}
await relay.stop();
await broker.close();
await store.close();
