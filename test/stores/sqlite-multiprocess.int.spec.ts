import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { StoredEvent } from 'factum';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const run = promisify(execFile);
const dir = tempDir('factum-multiproc-');
const contender = new URL('../fixtures/sqlite-contender.ts', import.meta.url).pathname;

describe('SQLite store shared by several processes', () => {
  it('keeps optimistic concurrency and a gap-free global log across processes', async () => {
    const file = join(dir, 'shared.db');
    const store = createSqliteStore(file, { pollIntervalMs: 20 });
    const received: StoredEvent[] = [];
    const subscription = store.subscribe({}, (e) => {
      received.push(e);
    });
    const writers = 4;
    const perWriter = 60;
    const outputs = await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        run(process.execPath, ['--import', 'tsx', contender, file, `w${w}`, String(perWriter)]),
      ),
    );
    const summaries = outputs.map((o) => JSON.parse(o.stdout) as { appended: number; conflicts: number });
    expect(summaries.reduce((n, s) => n + s.appended, 0)).toBe(writers * perWriter);

    // Every append landed exactly once, at consecutive versions of its stream.
    for (const streamId of ['shared-0', 'shared-1', 'shared-2']) {
      const { events } = await store.readStream(streamId);
      expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
    }
    const keys = new Set<string>();
    for (let after = 0n; ; ) {
      const page = await store.readAll({ after, limit: 100 });
      if (page.events.length === 0) break;
      for (const e of page.events) {
        const { writer, i } = e.data as { writer: string; i: number };
        keys.add(`${writer}/${i}`);
      }
      after = page.last;
    }
    expect(keys.size).toBe(writers * perWriter);

    // The subscriber in this process saw the other processes' appends, each once, in order.
    const deadline = Date.now() + 10_000;
    while (received.length < writers * perWriter && Date.now() < deadline) await sleep(20);
    await subscription.unsubscribe();
    expect(received).toHaveLength(writers * perWriter);
    for (let k = 1; k < received.length; k++)
      expect(received[k]!.position).toBeGreaterThan(received[k - 1]!.position);
    await store.close();
  });
});
