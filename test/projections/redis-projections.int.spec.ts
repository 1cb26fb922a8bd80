import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventStore } from 'factum';
import {
  createProjections,
  defineProjection,
  type ProjectionStorage,
  readDocuments,
} from 'factum/projections';
import { type RedisProjectionStorage, redisProjectionStorage } from 'factum/redis';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { projectionCheckpoint } from '../../src/projections/status.js';
import { type StreamTally, tallyProjection } from '../fixtures/tally-projection.js';
import { startChild } from '../support/child-process.js';
import { sleep } from '../support/helpers.js';
import { connectRedis, probeRedis, testRedis } from '../support/redis.js';
import { tempDir } from '../support/temp.js';

const redis = await probeRedis();
const dir = tempDir('factum-redis-projections-');
const runnerScript = new URL('../fixtures/redis-projection-runner.ts', import.meta.url).pathname;
const startRunner = (file: string, prefix: string) => startChild(runnerScript, [file, prefix]);

async function appendCounted(store: EventStore, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 10) {
    await store.append(
      `tally-${(i / 10) % 40}`,
      Array.from({ length: 10 }, (_, k) => ({ type: 'Counted', data: { n: i + k } })),
    );
  }
}

/** The tally read model as readers see it. */
async function readTally(storage: ProjectionStorage) {
  return {
    streams: await readDocuments<StreamTally>(storage, 'tally_streams').find({}, { orderBy: 'lastVersion' }),
    totals: await readDocuments<{ count: number; sum: number }>(storage, 'tally_totals').get('all'),
  };
}

/** The live generation's checkpoint, and how many events the log holds up to it. */
async function checkpointOf(storage: ProjectionStorage): Promise<{ position: bigint; upto: number }> {
  const position = await storage.read(async (tx) => {
    const record = await tx.getProjection('tally');
    return (await tx.getCheckpoint(projectionCheckpoint('tally', record?.liveGeneration ?? 1))) ?? 0n;
  });
  const upto = (await storage.countEventsAfter(0n)) - (await storage.countEventsAfter(position));
  return { position, upto };
}

describe.skipIf(!redis.available)('async projections into Redis', () => {
  const { client, nextPrefix, ready } = testRedis();
  const storageOf = (store: EventStore, prefix: string): RedisProjectionStorage =>
    redisProjectionStorage({ client: client(), store, prefix });

  it('runs a projection into Redis in a few lines (docs/projections.md)', async () => {
    await ready;
    const redisClient = client();
    const file = join(dir, 'docs.db');
    const prefix = nextPrefix();
    // #region redis-read-model
    // import { createClient } from 'redis';
    // import { redisProjectionStorage } from 'factum/redis';
    // const redisClient = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
    const store = createSqliteStore(file);
    const customers = defineProjection({
      name: 'customers',
      handles: ['CustomerRegistered'],
      documents: { customers: { indexes: ['country'] } },
      async handle(event, tx) {
        const { id, name, country } = event.data as { id: string; name: string; country: string };
        await tx.documents('customers').upsert(id, { name, country });
      },
    });
    // Documents and checkpoints in Redis; leases, dead letters and the registry in the store's database.
    const storage = redisProjectionStorage({ client: redisClient, store, prefix });
    const projections = await createProjections(store, { async: [customers], storage });
    projections.start();
    const { position } = await store.append('customer-1', [
      { type: 'CustomerRegistered', data: { id: 'c1', name: 'Ada', country: 'UK' } },
    ]);
    await projections.waitFor('customers', position);
    const british = await projections.documents('customers').find({ country: 'UK' });
    // #endregion redis-read-model
    expect(british).toEqual([{ name: 'Ada', country: 'UK' }]);
    await projections.stop();
    await store.close();
  });

  it('resumes exactly where it stopped after being killed mid-batch: the read model equals one built from scratch', async () => {
    await ready;
    const file = join(dir, 'crash.db');
    const prefix = nextPrefix();
    const total = 4_000;
    const store = createSqliteStore(file);
    await appendCounted(store, 0, total);
    const head = await store.readAll({ after: 0n, limit: total }).then((r) => r.last);
    await store.close();

    let midBatch = 0;
    for (let round = 0; round < 4; round++) {
      const runner = startRunner(file, prefix);
      await runner.waitFor(/^commit /);
      await sleep(Math.random() * 40);
      await runner.kill();
      const last = runner.lines.filter((l) => l.startsWith('apply ') || l.startsWith('commit ')).at(-1);
      if (last?.startsWith('apply ')) midBatch++;
      // What the killed runner committed is whole: the totals count exactly the events up to its checkpoint.
      const check = createSqliteStore(file);
      const storage = storageOf(check, prefix);
      const { upto } = await checkpointOf(storage);
      expect((await readTally(storage)).totals?.count ?? 0).toBe(upto);
      await check.close();
      // The killed runner's lease would expire on its own (60 s): end it for the next round.
      const db = new Database(file);
      db.prepare("UPDATE factum_leases SET expires_at = 0 WHERE name = 'projection:tally'").run();
      db.close();
    }
    expect(midBatch).toBeGreaterThan(0);

    const runner = startRunner(file, prefix);
    await runner.waitFor(new RegExp(`^commit ${head}$`), 30_000);
    await runner.kill();

    const reopened = createSqliteStore(file);
    try {
      const storage = storageOf(reopened, prefix);
      const projections = await createProjections(reopened, { async: [tallyProjection()], storage });
      const recovered = await readTally(storage);
      expect(recovered.totals).toEqual({ count: total, sum: (total * (total - 1)) / 2 });
      expect(recovered.streams.every((s) => s.violations === 0 && s.count === total / 40)).toBe(true);
      expect(await projections.listDeadLetters()).toEqual([]);
      const rebuilt = await projections.rebuild('tally');
      expect(await readTally(storage)).toEqual(recovered);
      // The old generation's keys go in the background.
      await storage.drained();
      const keys = await client().keys(`${prefix}:{tally}:g[0-9]*`);
      expect(keys.every((k) => k.startsWith(`${prefix}:{tally}:g${rebuilt.generation}.`))).toBe(true);
    } finally {
      await reopened.close();
    }
  });

  it('rebuilds while appends continue: readers keep the old generation until the swap, and nothing is lost', async () => {
    await ready;
    const prefix = nextPrefix();
    const store = createSqliteStore(join(dir, 'rebuild.db'), { pollIntervalMs: 10 });
    const storage = storageOf(store, prefix);
    const projections = await createProjections(store, {
      async: [tallyProjection()],
      storage,
      lease: { ttlMs: 5_000, acquireEveryMs: 50 },
    });
    try {
      await appendCounted(store, 0, 3_000);
      projections.start();
      await projections.waitFor('tally', (await store.readAll({ after: 0n, limit: 3_000 })).last);

      let appended = 3_000;
      let writing = true;
      const writer = (async () => {
        while (writing) {
          await appendCounted(store, appended, 10);
          appended += 10;
          await sleep(2);
        }
      })();
      // Readers never see a half-built generation: the count never goes down.
      let seen = 0;
      let reading = true;
      const reader = (async () => {
        while (reading) {
          const count = (await readTally(storage)).totals?.count ?? 0;
          expect(count).toBeGreaterThanOrEqual(seen);
          seen = count;
          await sleep(5);
        }
      })();
      const rebuilt = await projections.rebuild('tally');
      expect(rebuilt.generation).toBe(2);
      await sleep(200);
      writing = false;
      await writer;
      const head = (await store.readAll({ after: 0n, limit: appended + 10 })).last;
      await projections.waitFor('tally', head);
      reading = false;
      await reader;
      const { totals, streams } = await readTally(storage);
      expect(totals).toEqual({ count: appended, sum: (appended * (appended - 1)) / 2 });
      expect(streams.every((s) => s.violations === 0)).toBe(true);
      await storage.drained();
      expect(await client().keys(`${prefix}:{tally}:g1.*`)).toEqual([]);
      expect(await client().get(`${prefix}:{tally}:live`)).toMatch(
        new RegExp(`^${prefix}:\\{tally\\}:g2\\.`),
      );
    } finally {
      await projections.stop();
      await store.close();
    }
  });

  it('recovers from a dropped Redis connection (and a flushed script cache) with nothing lost or doubled', async () => {
    await ready;
    const prefix = nextPrefix();
    const own = await connectRedis();
    const store = createSqliteStore(join(dir, 'drop.db'), { pollIntervalMs: 10 });
    const storage = redisProjectionStorage({ client: own, store, prefix });
    const projections = await createProjections(store, {
      async: [tallyProjection({ slowEvery: 20 })],
      storage,
      lease: { ttlMs: 5_000, acquireEveryMs: 50 },
    });
    const errors: string[] = [];
    // The runner's connection id; a command caught by a kill (while reconnecting) is asked again.
    const idOf = async (): Promise<number> => {
      for (;;) {
        try {
          return await own.clientId();
        } catch {
          await sleep(20);
        }
      }
    };
    projections.on('error', ({ error }) => errors.push(error.message));
    let commits = 0;
    projections.on('checkpoint', () => commits++);
    try {
      let appended = 4_000;
      await appendCounted(store, 0, appended);
      projections.start();
      while (commits === 0) await sleep(5);
      const kills: number[] = [];
      for (let round = 0; round < 12; round++) {
        await appendCounted(store, appended, 200);
        appended += 200;
        await sleep(10 + Math.random() * 20);
        // Kill the runner's connection mid-run (what a Redis restart does to it), once with the scripts gone too.
        const id = await idOf();
        if (round === 6) await client().scriptFlush();
        expect(await client().sendCommand(['CLIENT', 'KILL', 'ID', String(id)])).toBe(1);
        kills.push(id);
      }
      // Readers on the killed connection get its error too: wait until it is back.
      await idOf();
      const head = (await store.readAll({ after: 0n, limit: appended + 10 })).last;
      await projections.waitFor('tally', head, { timeoutMs: 20_000 });
      const { totals, streams } = await readTally(storage);
      expect(totals).toEqual({ count: appended, sum: (appended * (appended - 1)) / 2 });
      expect(streams.every((s) => s.violations === 0 && s.count === appended / 40)).toBe(true);
      // Each kill ended a connection: the client reconnected every time.
      expect(new Set([...kills, await idOf()]).size).toBe(kills.length + 1);
      // Some kills caught the runner mid-batch: those batches failed whole (not as handler failures:
      // nothing was dead-lettered) and were applied again.
      expect(errors.some((e) => e.startsWith('Redis '))).toBe(true);
      expect(await projections.listDeadLetters()).toEqual([]);
    } finally {
      await projections.stop();
      await store.close();
      own.destroy();
    }
  });
});
