import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createMemoryStore, type StoredEvent } from 'factum';
import {
  acquireLease,
  checkLeaseOptions,
  type FollowSource,
  follow,
  followStorageOf,
  holdLease,
  loadCheckpoint,
  logSource,
  memoryFollowStorage,
  type Page,
  postgresFollowStorage,
  sqliteFollowStorage,
} from 'factum/follow';
import { createPostgresStore, migrate as migratePostgres } from 'factum/postgres';
import { createSqliteStore, migrate as migrateSqlite } from 'factum/sqlite';
import { describeFollowStorageContract, waitFor } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-follow-');
let files = 0;
const nextFile = () => join(dir, `follow-${++files}.db`);

describeFollowStorageContract('memory', { create: async () => memoryFollowStorage(createMemoryStore()) });
describeFollowStorageContract('SQLite store', {
  create: async () => followStorageOf(createSqliteStore(nextFile())),
});
describeFollowStorageContract('SQLite connection', {
  create: async () => {
    const db = new Database(nextFile());
    migrateSqlite(db);
    return sqliteFollowStorage(db);
  },
});

const pg = await probePostgres();
const { pool, dropLater } = testPool({ max: 6 });
const nextSchema = schemaNamer('factum_follow');
describe.skipIf(!pg.available)('PostgreSQL follow storages', () => {
  describeFollowStorageContract('PostgreSQL store', {
    create: async () => {
      const schema = nextSchema();
      dropLater(schema);
      return followStorageOf(await createPostgresStore({ pool, schema, migrate: true }));
    },
  });
  describeFollowStorageContract('PostgreSQL pool and schema', {
    create: async () => {
      const schema = nextSchema();
      dropLater(schema);
      await migratePostgres({ pool, schema });
      return postgresFollowStorage({ pool, schema });
    },
  });
});

async function fill(store: ReturnType<typeof createMemoryStore>, n: number) {
  for (let i = 0; i < n; i++) await store.append(`order-${i % 5}`, [{ type: 'OrderPlaced', data: { i } }]);
}

describe('follow(): the page loop', () => {
  it('catches up to the head found at start, not further, while this process keeps appending', async () => {
    const store = createMemoryStore();
    await fill(store, 50);
    const head = (await store.readAll({ limit: 1000 })).last;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await store.append('order-w', [{ type: 'OrderPlaced', data: {} }]);
        await sleep(1);
      }
    })();
    const seen: StoredEvent[] = [];
    const reached = await follow({
      source: logSource(store, { head: async () => head }),
      after: 0n,
      pageSize: 10,
      live: false,
      signal: new AbortController().signal,
      onPage: async (page) => {
        seen.push(...page.events);
        await sleep(5);
      },
    });
    writing = false;
    await writer;
    expect(reached).toBe(head);
    expect(seen.map((e) => e.position)).toEqual(
      (await store.readAll({ limit: 50 })).events.map((e) => e.position),
    );
  });

  it('goes live: every later event once, in order, in pages of at most pageSize', async () => {
    const store = createMemoryStore();
    await fill(store, 7);
    const stop = new AbortController();
    const pages: (readonly StoredEvent[])[] = [];
    let live: bigint | undefined;
    const running = follow({
      source: logSource(store, { head: async () => (await store.readAll({ limit: 1000 })).last }),
      after: 0n,
      pageSize: 4,
      signal: stop.signal,
      onLive: (position) => {
        live = position;
      },
      onPage: async (page) => {
        pages.push(page.events);
      },
    });
    await waitFor('live', () => live !== undefined, 2000);
    await fill(store, 30);
    await waitFor('all 37 events', () => pages.flat().length === 37, 2000);
    stop.abort();
    const reached = await running;
    const all = (await store.readAll({ limit: 1000 })).events;
    expect(pages.flat().map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(pages.every((p) => p.length <= 4)).toBe(true);
    expect(reached).toBe(all.at(-1)!.position);
  });

  it('gives back a page read ahead and never handed over, and stops at the first failing page', async () => {
    const released: Page[] = [];
    let reads = 0;
    const source: FollowSource<Page> = {
      async read(after) {
        reads++;
        return { events: [{ position: after + 1n } as StoredEvent], last: after + 1n };
      },
      async release(page) {
        released.push(page);
      },
    };
    const failing = follow({
      source,
      after: 0n,
      pageSize: 1,
      prefetch: true,
      signal: new AbortController().signal,
      onPage: async (page) => {
        if (page.last === 3n) throw new Error('publish refused');
      },
    });
    await expect(failing).rejects.toThrow('publish refused');
    // Page 4 was read while page 3 was handled; it went back instead of being lost or handed over.
    expect(reads).toBe(4);
    expect(released.map((p) => p.last)).toEqual([4n]);
  });

  it("with prefetch 'when-asked', reads the next page when onPage asks (once), or after it if it never does", async () => {
    const log: string[] = [];
    const source: FollowSource<Page> = {
      async read(after) {
        log.push(`read ${after}`);
        return { events: [{ position: after + 1n } as StoredEvent], last: after + 1n };
      },
      head: async () => 4n,
    };
    const pages: bigint[] = [];
    const reached = await follow({
      source,
      after: 0n,
      pageSize: 1,
      prefetch: 'when-asked',
      live: false,
      signal: new AbortController().signal,
      onPage: async (page, readAhead) => {
        log.push(`page ${page.last}`);
        pages.push(page.last);
        // Pages 1 and 3 ask (page 1 twice: one read); page 2 does not; page 4 is the head.
        if (page.last % 2n === 1n) {
          readAhead();
          readAhead();
          log.push(`asked ${page.last}`);
        }
      },
    });
    expect(reached).toBe(4n);
    expect(pages).toEqual([1n, 2n, 3n, 4n]);
    expect(log).toEqual([
      'read 0',
      'page 1',
      'read 1',
      'asked 1',
      'page 2',
      'read 2',
      'page 3',
      'read 3',
      'asked 3',
      'page 4',
    ]);
  });
});

describe('holdLease(): the lease-holding scaffold', () => {
  it('renews while working, ends as lost when another holder takes the lease over', async () => {
    const store = createMemoryStore();
    // #region hold-lease
    const storage = followStorageOf(store); // the store's own database (or process memory)
    const options = checkLeaseOptions({ strategy: 'row', ttlMs: 200, renewEveryMs: 50 });
    const lease = await acquireLease(storage, { name: 'report:daily', scope: 'report:daily' }, 'me', options);
    if (lease !== undefined) {
      // Renewed in the background; `signal` aborts when the lease is lost or `stop` aborts.
      const end = await holdLease(lease, options, undefined, async (signal) => {
        await lease.commitCheckpoint('report:daily', 42n);
        await takenOver(signal);
      });
      // end: 'stopped' | 'lost' | 'closed'
      expect(end).toBe('lost');
    }
    // #endregion hold-lease
    expect(await loadCheckpoint(storage, 'report:daily')).toBe(42n);
    // The new holder's token fences the old holder's commits.
    await expect(lease!.commitCheckpoint('report:daily', 43n)).rejects.toMatchObject({
      code: 'FACTUM_LEASE_LOST',
    });

    async function takenOver(signal: AbortSignal) {
      // Someone else's row takes the lease over (as a standby would after the holder's expiry).
      await storage.transaction(async (tx) => {
        const current = (await tx.getLease('report:daily'))!;
        await tx.putLease({ ...current, owner: 'someone-else', token: current.token + 1 });
      });
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }
  });
});
