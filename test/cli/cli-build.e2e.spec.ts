import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Builds the package as `npm run build` does (into a scratch folder inside the repository, so the
// built files resolve the repository's node_modules) and runs the `factum` bin with plain Node.js.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
mkdirSync(join(root, '.factum'), { recursive: true });
const out = mkdtempSync(join(root, '.factum', 'cli-e2e-'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };

beforeAll(() => {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
    {
      cwd: root,
      stdio: 'pipe',
    },
  );
}, 120_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the built factum command', () => {
  it('is the package bin, starts with a shebang and checks a JavaScript registry', () => {
    expect(pkg.bin.factum).toBe('./dist/cli/main.js');
    const main = join(out, 'cli', 'main.js');
    expect(readFileSync(main, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    chmodSync(main, 0o755);
    const help = spawnSync(main, ['schema', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('check');

    const project = join(out, 'project');
    mkdirSync(project);
    const entry = pathToFileURL(join(out, 'index.js')).href;
    const write = (required: string[]) =>
      writeFileSync(
        join(project, 'factum.config.mjs'),
        `import { createSchemaRegistry } from '${entry}';
export const registry = createSchemaRegistry().register({
  type: 'OrderPlaced', category: 'order', version: 1,
  schema: { type: 'object', properties: { orderId: { type: 'string' }, total: { type: 'integer' } }, required: ${JSON.stringify(required)} },
});
`,
      );
    write(['orderId']);
    const lock = spawnSync(process.execPath, [main, 'schema', 'lock'], { cwd: project, encoding: 'utf8' });
    expect(lock.stderr).toBe('');
    expect(lock.status).toBe(0);
    expect(spawnSync(process.execPath, [main, 'schema', 'check'], { cwd: project }).status).toBe(0);
    write(['orderId', 'total']);
    const check = spawnSync(process.execPath, [main, 'schema', 'check'], { cwd: project, encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(
      "✗ BREAKING OrderPlaced v1: field 'total' is now required and has no default [required-added]",
    );
  });

  it('loads a TypeScript registry on a Node.js without type stripping (through tsx)', () => {
    const main = join(out, 'cli', 'main.js');
    const project = join(out, 'ts-project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'schemas.ts'),
      `import { createSchemaRegistry } from '${pathToFileURL(join(out, 'index.js')).href}';
const schema: Record<string, unknown> = { type: 'object', properties: { id: { type: 'string' } } };
export const registry = createSchemaRegistry().register({ type: 'Pinged', version: 1, schema });
`,
    );
    const lock = spawnSync(process.execPath, [main, 'schema', 'lock', '--registry', 'schemas.ts'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(lock.stderr).toBe('');
    expect(lock.stdout).toBe('Locked 1 event type in factum.schema.lock.json\n');
  });
});
