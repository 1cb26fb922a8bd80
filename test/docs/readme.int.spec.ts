import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

const root = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const dir = tempDir('factum-readme-');

describe('README', () => {
  it('shows tested code: every marked block matches its region (scripts/sync-docs.mjs --check)', () => {
    const out = execFileSync(process.execPath, ['scripts/sync-docs.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    const [, blocks] = /(\d+) marked code blocks/.exec(out) ?? [];
    expect(Number(blocks)).toBeGreaterThanOrEqual(4);
    // Every TypeScript block in README is a marked one.
    const readme = read('README.md');
    expect(readme.match(/```ts\n/g)?.length).toBe(readme.match(/<!-- region: /g)?.length);
  });

  it('quick start runs, and runs again on the same file', () => {
    const env = { ...process.env, FACTUM_STORE_URL: `sqlite:${join(dir, 'app.db')}` };
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], {
        env,
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    expect(run()).toMatch(/^1n order-42 OrderPlaced$/m);
    // Second run: 'no_stream' makes placing order-42 again fail with a ConcurrencyError, by design.
    expect(() => run()).toThrow(/Wrong expected version: no_stream \(stream: order-42, actual version: 2\)/);
  });

  it('names the two set-up commands and the package scripts they rely on exist', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
    expect(pkg.scripts.bench).toBeDefined();
  });

  it('links only to docs that exist', () => {
    const readme = read('README.md');
    for (const [, path] of readme.matchAll(/\]\((docs\/[^)]+)\)/g)) {
      expect(() => read(path!), path).not.toThrow();
    }
  });
});
