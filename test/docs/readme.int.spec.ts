import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

const root = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const dir = tempDir('factum-readme-');

/** The text between `// #region name` and `// #endregion name` in a file. */
function region(path: string, name: string): string {
  const text = read(path);
  const start = text.indexOf(`// #region ${name}\n`);
  const end = text.indexOf(`// #endregion ${name}`);
  if (start === -1 || end === -1) throw new Error(`region ${name} not found in ${path}`);
  return text.slice(start + `// #region ${name}\n`.length, end);
}

describe('README', () => {
  it('shows the quick start exactly as examples/quickstart.ts has it', () => {
    const readme = read('README.md');
    const quick = readme.slice(readme.indexOf('## Quick start'));
    const block = quick.slice(
      quick.indexOf('```ts\n') + 6,
      quick.indexOf('```\n', quick.indexOf('```ts\n') + 6),
    );
    expect(block).toBe(region('examples/quickstart.ts', 'quickstart'));
  });

  it('quick start runs, and runs again on the same file', () => {
    const env = { ...process.env, FACTUM_STORE_URL: `sqlite:${join(dir, 'app.db')}` };
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], {
        env,
        cwd: root,
        encoding: 'utf8',
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
