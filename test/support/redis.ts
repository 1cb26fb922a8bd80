import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll } from 'vitest';
import { deleteKeys } from './redis-keys.js';
import { probeService, services } from './services.js';

export type TestRedisClient = ReturnType<typeof createClient>;

/** Whether Redis answers (skips or fails per FACTUM_REQUIRE_SERVICES); probe once per spec file. */
export async function probeRedis() {
  return probeService('Redis', services.redis, async () => {
    const client = createClient({ url: services.redis, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    await client.connect();
    try {
      await client.ping();
    } finally {
      client.destroy();
    }
  });
}

/** A connected client (reconnecting after a dropped connection); errors are expected in drop tests. */
export async function connectRedis(name?: string): Promise<TestRedisClient> {
  const client = createClient({
    url: services.redis,
    ...(name === undefined ? {} : { name }),
    socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 500) },
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * One client for a spec file and a fresh key prefix per call (factum_test:<run>:<n>); after the
 * file, every key under the prefixes handed out is deleted and the client closed.
 */
export function testRedis(): {
  client: () => TestRedisClient;
  nextPrefix: () => string;
  ready: Promise<void>;
} {
  const run = randomBytes(4).toString('hex');
  let n = 0;
  let client: TestRedisClient | undefined;
  const ready = connectRedis().then((c) => {
    client = c;
  });
  afterAll(async () => {
    if (client === undefined) return;
    await deleteKeys(client, `factum_test:${run}:*`);
    client.destroy();
  });
  return {
    client: () => {
      if (client === undefined) throw new Error('await ready first');
      return client;
    },
    nextPrefix: () => `factum_test:${run}:${++n}`,
    ready,
  };
}
