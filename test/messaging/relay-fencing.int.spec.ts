import { join } from 'node:path';
import { ErrorCodes, type EventStore, isFactumError, type StoredEvent } from 'factum';
import { followStorageOf, loadCheckpoint } from 'factum/follow';
import { eventLogSource, type RelayEvents, relayCheckpoint, startRelay } from 'factum/messaging';
import { messagingMetrics } from 'factum/observability';
import { createPostgresStore } from 'factum/postgres';
import { createSqliteStore } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { scrape } from '../observability/support/scrape.js';
import { sleep } from '../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { recordingBroker } from '../support/recording-broker.js';
import { tempDir } from '../support/temp.js';

/**
 * A relay that stalls past its lease (its publish hangs and it does not renew, as in a long GC pause
 * or a frozen VM) is replaced by the standby; when it wakes up, its commit is refused with
 * LeaseLostError and it publishes nothing more. Without the fencing check, the stale holder's
 * checkpoint would land after its successor's.
 */
function describeFencing(
  name: string,
  skip: boolean,
  open: () => Promise<EventStore & { close(): Promise<void> }>,
) {
  describe.skipIf(skip)(`relay fencing (${name})`, () => {
    it('a relay whose lease was taken over cannot commit: it gets LeaseLostError and stops publishing', async () => {
      const store = await open();
      for (let i = 0; i < 20; i++) await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { i } }]);

      // The stalled holder: its second publish hangs until released, and it never renews in time.
      const stalled = recordingBroker();
      let wake: () => void = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      let publishes = 0;
      const record = stalled.publish.bind(stalled);
      let inFlight: readonly StoredEvent[] = [];
      stalled.publish = async (events, options) => {
        publishes++;
        if (publishes === 2) {
          inFlight = events;
          await woken;
        }
        await record(events, options);
      };
      const a = startRelay({
        source: eventLogSource(store, { name: 'fenced' }),
        broker: stalled,
        batchSize: 5,
        owner: 'relay-a',
        lease: { strategy: 'row', ttlMs: 300, renewEveryMs: 60_000 },
      });
      const lost: RelayEvents['relay.lease-lost'][] = [];
      a.on('relay.lease-lost', (e) => lost.push(e));
      const registry = new Registry();
      const metrics = messagingMetrics({ relays: [a] }, { registry });
      await waitFor('the holder stalls in its second publish', () => inFlight.length > 0, 5000);

      const standby = recordingBroker();
      const b = startRelay({
        source: eventLogSource(store, { name: 'fenced' }),
        broker: standby,
        batchSize: 5,
        owner: 'relay-b',
        lease: { strategy: 'row', ttlMs: 300, acquireEveryMs: 50 },
      });
      await waitFor(
        'the standby takes over and publishes the rest',
        () => standby.published.length === 15,
        10_000,
      );
      const checkpoint = relayCheckpoint('fenced');
      const storage = followStorageOf(store);
      const head = (await store.readAll({ limit: 1000 })).last;
      await waitFor(
        'the successor committed the head',
        async () => (await loadCheckpoint(storage, checkpoint)) === head,
        5000,
      );

      // The stale holder wakes up: the broker confirms its batch, its commit is refused.
      wake();
      await waitFor('the stale holder learns it lost the lease', () => lost.length === 1, 5000);
      expect(lost[0]).toMatchObject({ name: 'fenced', owner: 'relay-a' });
      expect(isFactumError(lost[0]!.error, ErrorCodes.LEASE_LOST)).toBe(true);
      expect(lost[0]!.error?.message).toContain('relay-a');
      expect(a.status()).toMatchObject({ state: 'waiting-for-lease', published: 5 });
      expect(await loadCheckpoint(storage, checkpoint)).toBe(head);
      expect((await scrape(registry))('factum_relay_leases_lost_total', { relay: 'fenced' })).toBe(1);
      metrics.close();

      // From now on only the current holder publishes.
      await store.append('order-late', [{ type: 'OrderPlaced', data: {} }]);
      await waitFor('the holder publishes the late event', () => standby.published.length === 16, 5000);
      await sleep(400);
      expect(stalled.published.map((e) => e.streamId)).toEqual([
        ...stalled.published.slice(0, 5).map((e) => e.streamId),
        ...inFlight.map((e) => e.streamId),
      ]);
      expect(stalled.published).toHaveLength(10);
      expect(publishes).toBe(2);
      await Promise.all([a.stop(), b.stop()]);
      await store.close();
    });
  });
}

const dir = tempDir('factum-relay-fencing-');
describeFencing('SQLite', false, async () => createSqliteStore(join(dir, `fenced-${Date.now()}.db`)));

const postgres = await probePostgres();
const { pool, dropLater } = testPool({ max: 8 });
const nextSchema = schemaNamer('factum_fence');
describeFencing('PostgreSQL, row leases', !postgres.available, async () => {
  const schema = nextSchema();
  dropLater(schema);
  return createPostgresStore({ pool, schema, migrate: true });
});
