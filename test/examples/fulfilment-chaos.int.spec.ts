/**
 * The main job killed with SIGKILL at random moments mid-run, three times, then started again: every
 * order still ends, every invariant holds, and no order is charged or refunded twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-fulfilment-chaos-');
const root = new URL('../../', import.meta.url).pathname;

function start(
  url: string,
  args: string[],
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'examples/fulfilment/main.ts', '--port', '0', ...args],
    {
      cwd: root,
      env: { ...process.env, FACTUM_STORE_URL: url, FACTUM_TOKENS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('order fulfilment under kill -9', () => {
  it('ends every order with every invariant holding after three SIGKILLs mid-run, charging and refunding each order at most once', async () => {
    const file = join(dir, 'chaos.db');
    const url = `sqlite:${file}`;
    for (let round = 0; round < 3; round++) {
      const run = start(url, ['--rate', '100']);
      // Killed at a random moment once it is serving and placing orders.
      while (!run.output().includes('dashboard:')) {
        if (run.child.exitCode !== null) throw new Error(`the system exited early:\n${run.output()}`);
        await sleep(50);
      }
      await sleep(800 + Math.random() * 1_500);
      run.child.kill('SIGKILL');
      expect(await run.exited).toBeNull();
    }
    // Started again: it carries on with what was in flight, places 20 more, and waits for every order.
    const last = start(url, ['--orders', '20', '--rate', '100']);
    const code = await last.exited;
    const output = last.output();
    expect(code, output).toBe(0);
    expect(output).not.toContain('BROKEN');
    expect(output).toMatch(
      /ok {2}every order ends shipped or cancelled within its SLA: \d+ placed: \d+ shipped, \d+ cancelled, 0 open/,
    );
    expect(output).toMatch(/ok {2}every saga ends completed or compensated: 0 parked, 0 aborted, 0 running/);
    const placed = Number(/SLA: (\d+) placed/.exec(output)?.[1]);
    expect(placed).toBeGreaterThan(60);

    // Counted in the store itself: at most one charge and one refund per order.
    const store = createSqliteStore(file);
    try {
      const perOrder = new Map<string, { charged: number; refunded: number }>();
      for (let after = 0n; ; ) {
        const page = await store.readAll({
          after,
          limit: 1_000,
          types: ['PaymentSucceeded', 'PaymentRefunded'],
        });
        for (const e of page.events) {
          const counts = perOrder.get(e.streamId) ?? { charged: 0, refunded: 0 };
          if (e.type === 'PaymentSucceeded') counts.charged++;
          else counts.refunded++;
          perOrder.set(e.streamId, counts);
        }
        if (page.events.length === 0 || page.last === after) break;
        after = page.last;
      }
      expect(perOrder.size).toBeGreaterThan(0);
      for (const [stream, counts] of perOrder) {
        expect(counts.charged, stream).toBeLessThanOrEqual(1);
        expect(counts.refunded, stream).toBeLessThanOrEqual(1);
      }
    } finally {
      await store.close();
    }
  }, 120_000);
});
