import { join } from 'node:path';
import { createProjections, defineProjection } from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { progressBar } from '../../src/cli/projections.js';
import { tallyProjection } from '../fixtures/tally-projection.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-cli-projections-');
const fixtures = new URL('../fixtures/', import.meta.url).pathname;

/** Runs the `factum` program as its bin does, capturing output and the exit code. */
async function factum(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io = { cwd: fixtures, out: (t: string) => (out += t), err: (t: string) => (err += t), env };
  const code = await runCli(args, io);
  return { out, err, code };
}

const failing = defineProjection({
  name: 'failing',
  handles: ['Counted'],
  documents: { failing_docs: {} },
  retry: { retries: 0 },
  sla: { maxLagMs: 60_000 },
  handle(event) {
    if ((event.data as { n: number }).n === 1) throw new Error('n = 1 is not supported');
  },
});

describe('factum lag / dlq / projections rebuild', () => {
  it('prints lag, lists dead letters, requests retry and skip, and rebuilds with a progress bar', async () => {
    const file = join(dir, 'cli.db');
    const url = `sqlite:${file}`;
    const store = createSqliteStore(file);
    const projections = await createProjections(store, { async: [failing, tallyProjection()] });
    projections.start();
    let position = 0n;
    for (let n = 0; n < 3; n++)
      ({ position } = await store.append('tally-1', [{ type: 'Counted', data: { n } }]));
    await projections.waitFor('failing', position);
    await projections.waitFor('tally', position);
    await projections.stop();
    await store.close();

    const lag = await factum(['lag', '--store', url]);
    expect(lag.code).toBe(0);
    expect(lag.out.split('\n')[0]).toMatch(
      /^PROJECTION\s+MODE\s+GEN\s+POSITION\/HEAD\s+BEHIND\s+LAG\s+SLA\s+DEAD\s+PARKED\s+RUNNER$/,
    );
    expect(lag.out).toMatch(/^failing\s+async\s+1\s+3\/3\s+0\s+0 ms\s+60\.0 s\s+1\s+1\s+/m);
    const json = await factum(['lag', '--json', '--projection', 'tally'], { FACTUM_STORE_URL: url });
    expect(JSON.parse(json.out)).toMatchObject({ name: 'tally', position: '3', deadLetters: 0 });

    const list = await factum(['dlq', 'list', '--store', url]);
    expect(list.out).toMatch(
      /^1\s+failing\s+dead\s+2\s+tally-1\s+2\s+Counted\s+1\s+-\s+n = 1 is not supported$/m,
    );
    expect(list.out).toMatch(/^2\s+failing\s+parked\s+3\s+tally-1\s+3\s+Counted\s+0\s+-\s+-$/m);
    expect(
      (await factum(['dlq', 'list', '--store', url, '--status', 'parked', '--json'])).out.trim().split('\n'),
    ).toHaveLength(1);

    const parked = await factum(['dlq', 'retry', '2', '--store', url]);
    expect(parked.code).toBe(2);
    expect(parked.err).toMatch(/parked behind an earlier dead letter/);
    const skip = await factum(['dlq', 'skip', '1', '--store', url]);
    expect(skip.out).toBe(
      'Requested skip of dead letter 1 (Counted tally-1 v2); the active runner of failing carries it out within a second or so.\n',
    );
    expect((await factum(['dlq', 'list', '--store', url, '--json'])).out).toContain('"action":"skip"');

    const rebuild = await factum([
      'projections',
      'rebuild',
      'tally',
      '--projections',
      'cli-projections.ts',
      '--store',
      url,
    ]);
    expect(rebuild.code).toBe(0);
    expect(rebuild.out).toMatch(
      /^Rebuilt tally: generation 2 is live at position 3 \(3 events in \d+ ms, 0 dead letters\)\n$/,
    );
    expect(rebuild.err).toContain('[##############################] 100% 3/3 events');
    expect(rebuild.err).toContain('(done)');
  });

  it('exits 1 when an SLA is breached, 2 on usage errors', async () => {
    const file = join(dir, 'breach.db');
    const old = createSqliteStore(file, { now: () => new Date(Date.now() - 120_000) });
    await createProjections(old, { async: [failing] });
    await old.append('tally-1', [{ type: 'Counted', data: { n: 5 } }]);
    await old.close();
    const lag = await factum(['lag', '--store', `sqlite:${file}`]);
    expect(lag.code).toBe(1);
    expect(lag.out).toMatch(/60\.0 s BREACHED/);
    expect(lag.err).toMatch(/^SLA breached: failing is \d+ ms behind \(max 60000 ms, 1 events\)$/m);
    expect((await factum(['lag'])).code).toBe(2);
    expect((await factum(['dlq', 'retry', 'x', '--store', `sqlite:${file}`])).code).toBe(2);
    expect((await factum(['dlq', 'list', '--status', 'odd', '--store', `sqlite:${file}`])).code).toBe(2);
  });

  it('pauses and resumes a projection, shown by factum lag', async () => {
    const file = join(dir, 'pause.db');
    const store = createSqliteStore(file);
    await createProjections(store, { async: [tallyProjection()] });
    await store.close();
    const url = `sqlite:${file}`;
    expect((await factum(['projections', 'pause', 'tally', '--store', url])).code).toBe(2);
    const paused = await factum(['projections', 'pause', 'tally', '--store', url, '--reason', 'backfill'], {
      USER: 'ops',
    });
    expect(paused.code).toBe(0);
    expect(paused.out).toContain('tally: paused');
    expect((await factum(['lag', '--store', url])).out).toMatch(/PAUSED by ops: backfill$/m);
    const resumed = await factum(['projections', 'resume', 'tally', '--store', url]);
    expect(resumed.out).toContain('tally: resumed');
    expect((await factum(['lag', '--store', url])).out).not.toContain('PAUSED');
    expect((await factum(['projections', 'resume', 'nope', '--store', url])).code).toBe(2);
  });

  it('draws a progress bar', () => {
    const bar = progressBar({
      projection: 'p',
      generation: 2,
      phase: 'catching-up',
      done: 25_000,
      total: 100_000,
      rate: 50_000,
      etaMs: 1_500,
      elapsedMs: 500,
    });
    expect(bar).toBe(
      '[########......................] 25% 25000/100000 events, 50000/s, ETA 1.5 s (catching-up)',
    );
  });
});
