import type { Broker } from '../src/brokers/broker.js';
import { eventLogSource, sqliteCheckpoints, sqliteLeases, startRelay } from '../src/messaging/index.js';
import type { SqliteEventStore } from '../src/stores/sqlite/index.js';
import { since } from './support.js';

/** Milliseconds a relay takes to publish the store's log up to `head` to `broker` (checkpoint committed). */
export async function relayThroughput(
  store: SqliteEventStore,
  broker: Broker,
  head: bigint,
  name: string,
  batchSize: number,
): Promise<number> {
  const relay = startRelay({
    source: eventLogSource(store, sqliteCheckpoints(store), { name }),
    broker,
    leases: sqliteLeases(store),
    batchSize,
  });
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    relay.on('relay.committed', (e) => {
      if (e.lastPosition >= head) resolve();
    });
    relay.done.catch(reject);
  });
  const ms = since(start);
  await relay.stop();
  return ms;
}
