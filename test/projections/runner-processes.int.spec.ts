import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createProjections, projectionStatus } from 'factum/projections';
import { createSqliteStore, type SqliteEventStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { type StreamTally, tallyProjection } from '../fixtures/tally-projection.js';
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

function startRunner(file: string, ttlMs: number, slowEvery = 50): Runner {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', runnerScript, file, String(ttlMs), String(slowEvery)],
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

async function appendCounted(store: SqliteEventStore, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 10) {
    await store.append(
      `tally-${(i / 10) % 40}`,
      Array.from({ length: 10 }, (_, k) => ({ type: 'Counted', data: { n: i + k } })),
    );
  }
}

/** The tally read model, and the same read model rebuilt from scratch: they must be equal. */
async function compareWithRebuild(file: string) {
  const store = createSqliteStore(file);
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

describe('async runner processes', () => {
  it('resumes exactly where it stopped after being killed mid-batch: the read model equals one built from scratch', async () => {
    const file = join(dir, 'crash.db');
    const store = createSqliteStore(file);
    const total = 12_000;
    await appendCounted(store, 0, total);
    await store.close();

    let midBatch = 0;
    for (let round = 0; round < 5; round++) {
      const runner = startRunner(file, 60_000);
      // Kill it once it has committed a few batches, at a random moment.
      await runner.waitFor(/^commit /);
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      await kill(runner);
      const last = runner.lines.filter((l) => l.startsWith('apply ') || l.startsWith('commit ')).at(-1);
      if (last?.startsWith('apply ')) midBatch++;
      const raw = new Database(file, { readonly: true });
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
      // The lease of a killed runner expires on its own (60 s here): take it over for the next round.
      const db = new Database(file);
      db.prepare("UPDATE factum_projection_leases SET expires_at = 0 WHERE name = 'projection:tally'").run();
      db.close();
    }
    // The kill landed inside a batch (applied, not yet committed) at least once.
    expect(midBatch).toBeGreaterThan(0);

    const last = startRunner(file, 60_000);
    await last.waitFor(new RegExp(`^commit ${total}$`), 60_000);
    await kill(last);
    const [status] = await projectionStatus(createSqliteStoreClosedAfter(file), { name: 'tally' });
    expect(status?.position).toBe(BigInt(total));

    const { recovered, fromScratch } = await compareWithRebuild(file);
    expect(recovered.totals).toEqual({ count: total, sum: (total * (total - 1)) / 2 });
    expect(recovered.streams.every((s) => s.violations === 0 && s.count === total / 40)).toBe(true);
    expect(recovered.deadLetters).toEqual([]);
    expect(recovered).toEqual(fromScratch);
  });

  it('runs one runner at a time across processes; a standby takes over within seconds when the holder is killed', async () => {
    const file = join(dir, 'takeover.db');
    const store = createSqliteStore(file);
    await appendCounted(store, 0, 2_000);
    const a = startRunner(file, 1_000, 1_000);
    const b = startRunner(file, 1_000, 1_000);
    const runners = [a, b];
    // Whoever gets the lease first is the holder; the other stays standby.
    const holder = await Promise.race(runners.map((r) => r.waitFor(/^lease acquired$/).then(() => r)));
    const standby = holder === a ? b : a;
    await new Promise((r) => setTimeout(r, 500));
    expect(standby.lines).not.toContain('lease acquired');

    let appended = 2_000;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await appendCounted(store, appended, 10);
        appended += 10;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = Date.now();
    await kill(holder);
    await standby.waitFor(/^lease acquired$/, 15_000);
    const takeoverMs = Date.now() - killedAt;
    // Lease of 1 s, standby retrying every 100 ms: well within a few seconds.
    expect(takeoverMs).toBeLessThan(5_000);
    await new Promise((r) => setTimeout(r, 300));
    writing = false;
    await writer;
    const head = (await store.readAll({ after: BigInt(appended - 20), limit: 100 })).last;
    await standby.waitFor(new RegExp(`^commit ${head}$`), 30_000);
    const [status] = await projectionStatus(store, { name: 'tally' });
    expect(status?.runner?.owner).toBe(await standby.owner);
    expect(status?.behind).toBe(0);
    await kill(standby);
    await store.close();

    const { recovered, fromScratch } = await compareWithRebuild(file);
    expect(recovered.totals).toEqual({ count: appended, sum: (appended * (appended - 1)) / 2 });
    expect(recovered.streams.every((s) => s.violations === 0)).toBe(true);
    expect(recovered).toEqual(fromScratch);
  });
});

/** A store for one status read (closed when the test file ends, with the temp dir). */
function createSqliteStoreClosedAfter(file: string): SqliteEventStore {
  const store = createSqliteStore(file);
  setTimeout(() => void store.close(), 2_000).unref();
  return store;
}
