import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { StoredEvent } from 'factum';
import { createKafkaBroker, type KafkaBroker } from 'factum/kafka';
import { interleaved, waitFor } from 'factum/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { range, sleep } from '../support/helpers.js';
import { probeService } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { TEST_TIMING } from './kafka-worker.js';

// A private single-node broker (own state dir and ports), so restarting it disturbs no other test.
const run = promisify(execFile);
const script = join(new URL('../..', import.meta.url).pathname, 'scripts/kafka');
const home = join(tempDir('factum-kafka-private-'), 'kafka');
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
const port = await freePort();
const controllerPort = await freePort();
const { FACTUM_KAFKA_BROKERS: _external, ...inherited } = process.env;
const env = {
  ...inherited,
  FACTUM_KAFKA_HOME: home,
  FACTUM_KAFKA_PORT: String(port),
  FACTUM_KAFKA_CONTROLLER_PORT: String(controllerPort),
};
const kafka = (command: 'start' | 'stop') => run(script, [command], { env, timeout: 180_000 });

const privateBroker = await probeService(
  'a private Kafka broker (scripts/kafka start)',
  `127.0.0.1:${port}`,
  async () => {
    await kafka('start');
  },
  180_000,
);

describe.skipIf(!privateBroker.available)('Kafka broker restart', () => {
  let broker: KafkaBroker | undefined;
  afterAll(async () => {
    await broker?.close().catch(() => {});
    await kafka('stop').catch(() => {});
    rmSync(home, { recursive: true, force: true });
  });

  it('the consumer rejoins and the producer resends after Kafka restarts: nothing lost, order kept', async () => {
    broker = await createKafkaBroker({
      brokers: `127.0.0.1:${port}`,
      topic: 'restart',
      topicOptions: { partitions: 3 },
      group: TEST_TIMING,
    });
    const events: { disconnected: number; reconnected: number } = { disconnected: 0, reconnected: 0 };
    broker.on('broker.disconnected', () => events.disconnected++);
    broker.on('broker.reconnected', () => events.reconnected++);
    const seen: [string, number][] = [];
    await broker.declareGroup({ group: 'g' });
    await broker.consume({ group: 'g' }, (e) => {
      seen.push([e.streamId, e.version]);
    });
    const all = interleaved(['order-1', 'order-2', 'order-3'], 20);
    await broker.publish(all.slice(0, 30));
    await waitFor('the first half is handled', () => seen.length >= 30, 20_000);

    await kafka('stop');
    await kafka('start');

    // What a relay does: publish again until Kafka acknowledges.
    const publish = async (batch: StoredEvent[]) => {
      for (;;) {
        try {
          await broker!.publish(batch);
          return;
        } catch {
          await sleep(250);
        }
      }
    };
    await publish(all.slice(30));
    const firstSeen = () => new Set(seen.map(([s, v]) => `${s}:${v}`));
    await waitFor('every event is handled after the restart', () => firstSeen().size === all.length, 60_000);
    expect(events.disconnected).toBeGreaterThanOrEqual(1);
    expect(events.reconnected).toBeGreaterThanOrEqual(1);
    // Each stream in version order (redeliveries dropped).
    const order = new Map<string, number[]>();
    const done = new Set<string>();
    for (const [s, v] of seen) {
      if (done.has(`${s}:${v}`)) continue;
      done.add(`${s}:${v}`);
      order.set(s, [...(order.get(s) ?? []), v]);
    }
    for (const versions of order.values()) expect(versions).toEqual(range(1, 20));
  }, 120_000);
});
