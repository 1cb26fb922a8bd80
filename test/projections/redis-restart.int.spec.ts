// A Redis restart mid-run: the test's own redis-server (append-only file, fsynced before every
// reply) is killed with SIGKILL three times and stopped with SIGTERM once while a runner catches up a
// log that grows under it; each time it starts again on the same port and directory. The tally
// projection counts and sums, so a batch lost or applied twice shows in the read model.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from 'factum';
import { createProjections, readDocuments } from 'factum/projections';
import { type RedisCommands, redisProjectionStorage } from 'factum/redis';
import { createSqliteStore } from 'factum/sqlite';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { type StreamTally, tallyProjection } from '../fixtures/tally-projection.js';
import { sleep, waitUntil } from '../support/helpers.js';
import { probeRedisServer, startRedisServer } from '../support/redis-server.js';
import { tempDir } from '../support/temp.js';

const redisServer = await probeRedisServer();
const dir = tempDir('factum-redis-restart-');

async function appendCounted(store: EventStore, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 10) {
    await store.append(
      `tally-${(i / 10) % 40}`,
      Array.from({ length: 10 }, (_, k) => ({ type: 'Counted', data: { n: i + k } })),
    );
  }
}

/** The tally read model computed from the log itself, event by event. */
async function expectedTally(store: EventStore) {
  const streams = new Map<string, StreamTally>();
  const totals = { count: 0, sum: 0 };
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: 1000 });
    if (page.events.length === 0) break;
    for (const event of page.events) {
      const { n } = event.data as { n: number };
      const s = streams.get(event.streamId) ?? { count: 0, sum: 0, lastVersion: 0, violations: 0 };
      streams.set(event.streamId, {
        count: s.count + 1,
        sum: s.sum + n,
        lastVersion: event.version,
        violations: 0,
      });
      totals.count += 1;
      totals.sum += n;
    }
    after = page.last;
  }
  return { streams, totals };
}

describe.skipIf(!redisServer.available)('a Redis restart mid-run', () => {
  it('the runner recovers with nothing lost or doubled', { timeout: 90_000 }, async () => {
    mkdirSync(join(dir, 'redis'));
    const server = await startRedisServer({ dir: join(dir, 'redis') });
    const client = createClient({
      url: server.url,
      socket: { reconnectStrategy: (retries) => Math.min(20 * 2 ** retries, 200) },
    });
    client.on('error', () => {});
    await client.connect();
    // The storage's commands, watched: `evalArmed` kills the server right after a batch's script was
    // sent, before its reply can come back.
    let evalArmed: ((signal: NodeJS.Signals) => void) | undefined;
    // After a restart, the first read of the checkpoint says whether the script caught by the kill
    // was applied although its reply never came.
    let lastAcked = 0n;
    let firstRead: ((stored: bigint) => void) | undefined;
    const watched: RedisCommands = {
      sendCommand(args) {
        const reply = client.sendCommand(args);
        const kill = evalArmed;
        if (kill !== undefined && (args[0] === 'EVALSHA' || args[0] === 'EVAL')) {
          // Killed a moment after the script was written; if its reply came first, the next batch's.
          evalArmed = undefined;
          let replied = false;
          void reply.then(
            () => (replied = true),
            () => (replied = true),
          );
          setTimeout(() => {
            if (replied) evalArmed = kill;
            else kill('SIGKILL');
          }, Math.random());
        }
        if (firstRead !== undefined && args[0] === 'GET' && args[1]?.endsWith(':checkpoint:1')) {
          const told = firstRead;
          firstRead = undefined;
          void reply.then(
            (stored) => told(stored === null ? 0n : BigInt(String(stored))),
            () => (firstRead ??= told),
          );
        }
        return reply;
      },
    };
    const store = createSqliteStore(join(dir, 'log.db'), { pollIntervalMs: 10 });
    // Handlers are in a batch from the first event applied until the batch's checkpoint event.
    let inBatch = false;
    const storage = redisProjectionStorage({ client: watched, store, prefix: 'factum_test' });
    const projections = await createProjections(store, {
      async: [tallyProjection({ slowEvery: 20, onApply: () => (inBatch = true) })],
      storage,
      lease: { ttlMs: 5_000, acquireEveryMs: 50 },
    });
    const errors: string[] = [];
    projections.on('error', ({ error }) => errors.push(error.message));
    let commits = 0;
    projections.on('checkpoint', ({ position }) => {
      lastAcked = position;
      commits++;
      inBatch = false;
    });

    let appended = 4_000;
    await appendCounted(store, 0, appended);
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await appendCounted(store, appended, 20);
        appended += 20;
        await sleep(3);
      }
    })();
    try {
      projections.start();
      // Scripts the kill caught that Redis had applied (and written to its append-only file) though
      // their reply never came: the case the checkpoint's guard is there for.
      let appliedUnacked = 0;
      const kills: NodeJS.Signals[] = [];
      const restart = async (signal: NodeJS.Signals, during: 'script' | 'handlers') => {
        // Wait for the runner to commit again after the last restart, then for a batch under way.
        const before = commits;
        await waitUntil(() => commits > before + 1, 20_000);
        if (during === 'script') {
          await new Promise<void>((resolve) => {
            evalArmed = (signal) => void server.kill(signal).then(resolve);
          });
        } else {
          inBatch = false;
          await waitUntil(() => inBatch, 20_000);
          await server.kill(signal);
        }
        kills.push(signal);
        // Down for a while: the runner's commands fail, or wait for the connection.
        await sleep(100 + Math.random() * 200);
        const acked = lastAcked;
        firstRead = (stored) => {
          if (stored > acked) appliedUnacked++;
        };
        await server.start();
      };
      await restart('SIGKILL', 'script');
      await restart('SIGKILL', 'handlers');
      await restart('SIGTERM', 'handlers');
      await restart('SIGKILL', 'script');
      await restart('SIGKILL', 'handlers');
      // Until one kill has landed between a script's apply and its reply (up to 10 more).
      for (let extra = 0; extra < 10 && appliedUnacked === 0; extra++) {
        await restart('SIGKILL', 'script');
        const before = commits;
        await waitUntil(() => commits > before, 20_000);
      }
      expect(appliedUnacked).toBeGreaterThan(0);
      expect(kills.filter((k) => k === 'SIGKILL').length).toBeGreaterThanOrEqual(3);

      await sleep(200);
      writing = false;
      await writer;
      const expected = await expectedTally(store);
      const head = (await store.readAll({ after: 0n, limit: appended + 10 })).last;
      await projections.waitFor('tally', head, { timeoutMs: 30_000 });

      const totals = await readDocuments<{ count: number; sum: number }>(storage, 'tally_totals').get('all');
      expect(totals).toEqual(expected.totals);
      expect(expected.totals.count).toBe(appended);
      const streams = new Map<string, StreamTally>();
      for (const id of expected.streams.keys()) {
        const doc = await readDocuments<StreamTally>(storage, 'tally_streams').get(id);
        if (doc !== undefined) streams.set(id, doc);
      }
      expect(streams).toEqual(expected.streams);
      // The kills failed batches (as Redis failures, not the handlers': nothing was dead-lettered).
      expect(errors.some((e) => e.startsWith('Redis '))).toBe(true);
      expect(await projections.listDeadLetters()).toEqual([]);
    } finally {
      writing = false;
      await writer;
      await projections.stop();
      await store.close();
      client.destroy();
      await server.kill('SIGKILL');
    }
  });
});
