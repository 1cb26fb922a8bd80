import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-crash-');
const appender = new URL('../fixtures/sqlite-appender.ts', import.meta.url).pathname;

interface Ack {
  streamId: string;
  version: number;
  position: bigint;
  size: number;
}

/** Runs the appender until it has acknowledged `acks` appends, then kills it with SIGKILL mid-loop. */
function runAndKill(file: string, start: number, acks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', appender, file, String(start)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const seen: Ack[] = [];
    let buffer = '';
    let stderr = '';
    let killScheduled = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [, streamId, version, position, size] = line.split(' ');
        if (streamId === undefined) continue;
        seen.push({
          streamId: streamId!,
          version: Number(version),
          position: BigInt(position!),
          size: Number(size),
        });
      }
      if (seen.length >= acks && !killScheduled) {
        killScheduled = true;
        // A random delay lands the kill anywhere in the append loop, often inside an append.
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 20);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(seen);
      else reject(new Error(`appender exited on its own (code ${code}): ${stderr}`));
    });
  });
}

describe('SQLite store: a process killed mid-append', () => {
  it('leaves a file that opens cleanly with every acknowledged append and no partial append', async () => {
    const file = join(dir, 'crash.db');
    // Several rounds: each kill lands at a different point of the append loop.
    const acked: Ack[] = [];
    for (const target of [100, 200, 300, 400, 500]) {
      const acks = await runAndKill(file, target * 10_000, target);
      expect(acks.length).toBeGreaterThanOrEqual(target);
      acked.push(...acks);
      const raw = new Database(file, { readonly: true });
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();

      const store = createSqliteStore(file);
      try {
        // Every acknowledged append is present, at the version and position it was acknowledged with.
        for (const ack of acks) {
          const { events } = await store.readStream(ack.streamId, { toVersion: ack.version });
          const last = events.at(-1);
          expect(last?.version).toBe(ack.version);
          expect(last?.position).toBe(ack.position);
        }
        // No partial append: every append wrote `size` events sharing its `i`, all or nothing.
        const groups = new Map<number, { size: number; count: number }>();
        for (let after = 0n; ; ) {
          const page = await store.readAll({ after, limit: 1000 });
          if (page.events.length === 0) break;
          for (const e of page.events) {
            const { i, size } = e.data as { i: number; size: number };
            const g = groups.get(i) ?? { size, count: 0 };
            g.count++;
            groups.set(i, g);
          }
          after = page.last;
        }
        for (const [i, g] of groups) expect({ i, count: g.count }).toEqual({ i, count: g.size });
      } finally {
        await store.close();
      }
    }
    expect(acked.length).toBeGreaterThanOrEqual(1500);
  });
});
