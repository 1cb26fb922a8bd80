import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventStore } from 'factum';
import { createPostgresStore } from 'factum/postgres';
import { createProjections, projectionStatus } from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { type StreamTally, tallyProjection } from '../fixtures/tally-projection.js';
import { sleep } from '../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-runner-processes-');
const runnerScript = new URL('../fixtures/projection-runner.ts', import.meta.url).pathname;

interface Runner {
  child: ChildProcess;
  lines: string[];
  owner: Promise<string>;
  exited: Promise<void>;
  /** Resolves when a line matching `pattern` has been printed. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

function startRunner(target: string, ttlMs: number, slowEvery = 50, strategy = 'default'): Runner {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', runnerScript, target, String(ttlMs), String(slowEvery), strategy],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of [...waiters]) wake();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find((l) => pattern.test(l));
        if (line === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(line);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`runner did not print ${pattern} within ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  const owner = waitFor(/^owner /).then((l) => l.slice('owner '.length));
  return { child, lines, owner, exited, waitFor };
}

async function kill(runner: Runner): Promise<void> {
  runner.child.kill('SIGKILL');
  await runner.exited;
}

async function appendCounted(store: EventStore, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 10) {
    await store.append(
      `tally-${(i / 10) % 40}`,
      Array.from({ length: 10 }, (_, k) => ({ type: 'Counted', data: { n: i + k } })),
    );
  }
}

/** The tally read model, and the same read model rebuilt from scratch: they must be equal. */
async function compareWithRebuild(db: Backend) {
  const store = await db.open();
  try {
    const projections = await createProjections(store, { async: [tallyProjection()] });
    const read = async () => ({
      streams: await projections.documents<StreamTally>('tally_streams').find({}, { orderBy: 'lastVersion' }),
      totals: await projections.documents('tally_totals').get('all'),
      deadLetters: await projections.listDeadLetters(),
    });
    const recovered = await read();
    await projections.rebuild('tally');
    const fromScratch = await read();
    return { recovered, fromScratch };
  } finally {
    await store.close();
  }
}

/** Where the runners run: a SQLite file or a PostgreSQL schema, with what the tests need to look inside. */
interface Backend {
  /** The runner script's argument. */
  target: string;
  open(): Promise<EventStore>;
  /** Ends the killed runner's lease at once (it would expire on its own after its ttl). */
  expireLease(): Promise<void>;
  /** Checks the database file or schema is intact after a kill. */
  check(): Promise<void>;
}

function describeRunnerProcesses(
  name: string,
  skip: boolean,
  options: {
    crashEvents: number;
    /** The lease strategies to run the takeover test with, each with its lease ttl. */
    leases: { strategy: 'advisory' | 'row'; ttlMs: number; why: string }[];
  },
  backend: (label: string) => Backend,
): void {
  describe.skipIf(skip)(`async runner processes on ${name}`, () => {
    it('resumes exactly where it stopped after being killed mid-batch: the read model equals one built from scratch', async () => {
      const db = backend('crash');
      const store = await db.open();
      const total = options.crashEvents;
      await appendCounted(store, 0, total);
      const head = (await store.readAll({ after: 0n, limit: total })).last;
      await store.close();

      let midBatch = 0;
      // Five kills at random moments, more (up to 20) until one has landed inside a batch.
      for (let round = 0; round < 20 && (round < 5 || midBatch === 0); round++) {
        const runner = startRunner(db.target, 60_000);
        // Kill it once it has committed a few batches, at a random moment.
        await runner.waitFor(/^commit /);
        await sleep(Math.random() * 40);
        await kill(runner);
        const last = runner.lines.filter((l) => l.startsWith('apply ') || l.startsWith('commit ')).at(-1);
        if (last?.startsWith('apply ')) midBatch++;
        await db.check();
        // The lease of a killed runner expires on its own (60 s here): take it over for the next round.
        await db.expireLease();
      }
      // The kill landed inside a batch (applied, not yet committed) at least once.
      expect(midBatch).toBeGreaterThan(0);

      const last = startRunner(db.target, 60_000);
      await last.waitFor(new RegExp(`^commit ${head}$`), 60_000);
      await kill(last);
      const statusStore = await db.open();
      const [status] = await projectionStatus(statusStore, { name: 'tally' });
      await statusStore.close();
      expect(status?.position).toBe(head);

      const { recovered, fromScratch } = await compareWithRebuild(db);
      expect(recovered.totals).toEqual({ count: total, sum: (total * (total - 1)) / 2 });
      expect(recovered.streams.every((s) => s.violations === 0 && s.count === total / 40)).toBe(true);
      expect(recovered.deadLetters).toEqual([]);
      expect(recovered).toEqual(fromScratch);
    });

    it.each(options.leases)(
      'runs one runner at a time across processes; a standby takes over within seconds when the holder is killed ($strategy lease, ttl $ttlMs ms: $why)',
      async ({ strategy, ttlMs }) => {
        const db = backend(`takeover-${strategy}`);
        const store = await db.open();
        await appendCounted(store, 0, 2_000);
        const a = startRunner(db.target, ttlMs, 1_000, strategy);
        const b = startRunner(db.target, ttlMs, 1_000, strategy);
        const runners = [a, b];
        // Whoever gets the lease first is the holder; the other stays standby.
        const holder = await Promise.race(runners.map((r) => r.waitFor(/^lease acquired$/).then(() => r)));
        const standby = holder === a ? b : a;
        await sleep(500);
        expect(standby.lines).not.toContain('lease acquired');

        let appended = 2_000;
        let writing = true;
        const writer = (async () => {
          while (writing) {
            await appendCounted(store, appended, 10);
            appended += 10;
            await sleep(5);
          }
        })();
        await sleep(300);
        const killedAt = Date.now();
        await kill(holder);
        await standby.waitFor(/^lease acquired$/, 15_000);
        const takeoverMs = Date.now() - killedAt;
        // Standby retrying every 100 ms: a row lease of 1 s expires, or the advisory lock is freed when the
        // killed holder's connection ends (its 60 s row never has to expire): well within a few seconds.
        expect(takeoverMs).toBeLessThan(5_000);
        await sleep(300);
        writing = false;
        await writer;
        const head = (await store.readAll({ after: 0n, limit: appended + 100 })).last;
        await standby.waitFor(new RegExp(`^commit ${head}$`), 30_000);
        const [status] = await projectionStatus(store, { name: 'tally' });
        expect(status?.runner?.owner).toBe(await standby.owner);
        expect(status?.behind).toBe(0);
        await kill(standby);
        await store.close();

        const { recovered, fromScratch } = await compareWithRebuild(db);
        expect(recovered.totals).toEqual({ count: appended, sum: (appended * (appended - 1)) / 2 });
        expect(recovered.streams.every((s) => s.violations === 0)).toBe(true);
        expect(recovered).toEqual(fromScratch);
      },
    );
  });
}

describeRunnerProcesses(
  'SQLite',
  false,
  { crashEvents: 12_000, leases: [{ strategy: 'row', ttlMs: 1_000, why: 'the row expires' }] },
  (label) => {
    const file = join(dir, `${label}.db`);
    return {
      target: file,
      open: async () => createSqliteStore(file),
      async expireLease() {
        const db = new Database(file);
        db.prepare("UPDATE factum_leases SET expires_at = 0 WHERE name = 'projection:tally'").run();
        db.close();
      },
      async check() {
        const raw = new Database(file, { readonly: true });
        expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
        raw.close();
      },
    };
  },
);

const postgres = await probePostgres();
const { pool, dropLater } = testPool({ max: 4 });
const nextSchema = schemaNamer('factum_pjproc');

describeRunnerProcesses(
  'PostgreSQL',
  !postgres.available,
  {
    crashEvents: 4_000,
    leases: [
      { strategy: 'row', ttlMs: 1_000, why: 'the row expires' },
      { strategy: 'advisory', ttlMs: 60_000, why: 'the lock is freed with the connection' },
    ],
  },
  () => {
    const schema = nextSchema();
    dropLater(schema);
    return {
      target: `postgres:${schema}`,
      open: () => createPostgresStore({ pool, schema, migrate: true }),
      async expireLease() {
        await pool.query(
          `UPDATE "${schema}".factum_leases SET expires_at = 0 WHERE name = 'projection:tally'`,
        );
      },
      async check() {
        // What the killed runner committed is whole: the totals count exactly the events up to its checkpoint.
        const { rows } = await pool.query<{
          checkpoint: string | null;
          applied: number | null;
          upto: number;
        }>(
          `SELECT c.position::text AS checkpoint, (t.doc->>'count')::int AS applied,
                (SELECT count(*)::int FROM "${schema}".factum_events e WHERE e.position <= coalesce(c.position, 0)) AS upto
           FROM "${schema}".factum_projections p
           LEFT JOIN "${schema}".factum_checkpoints c
             ON c.name = 'projection:' || p.name || ':' || p.live_generation
           LEFT JOIN "${schema}".tally_totals t ON t.id = 'all'
          WHERE p.name = 'tally'`,
        );
        expect(rows[0]?.applied ?? 0).toBe(rows[0]?.upto ?? 0);
      },
    };
  },
);
