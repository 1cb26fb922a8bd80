import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { services } from '../support/services.js';

const root = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const postgres = await probePostgres();

/** The text between `// #region name` and `// #endregion name` in a file. */
function region(path: string, name: string): string {
  const text = read(path);
  const start = text.indexOf(`// #region ${name}\n`);
  const end = text.indexOf(`// #endregion ${name}`);
  if (start === -1 || end === -1) throw new Error(`region ${name} not found in ${path}`);
  return text.slice(start + `// #region ${name}\n`.length, end);
}

describe('docs/postgres.md', () => {
  it('shows the code of examples/postgres.ts verbatim', () => {
    const blocks = [...read('docs/postgres.md').matchAll(/```ts\n([\s\S]*?)```\n/g)].map((m) => m[1]);
    expect(blocks).toEqual(
      ['setup', 'gap-safety', 'subscribe'].map((n) => region('examples/postgres.ts', n)),
    );
  });

  describe.skipIf(!postgres.available)('against PostgreSQL', () => {
    const { dropLater } = testPool({ max: 1 });
    it('examples/postgres.ts runs', () => {
      const schema = schemaNamer('factum_doc')();
      dropLater(schema);
      const output = execFileSync(process.execPath, ['--import', 'tsx', 'examples/postgres.ts'], {
        env: { ...process.env, FACTUM_PG_URL: services.postgres, FACTUM_PG_SCHEMA: schema },
        cwd: root,
        encoding: 'utf8',
      });
      expect(output).toMatch(/^\d+n order-42 OrderPlaced$/m);
      expect(output).toMatch(/^live true true$/m);
    });
  });
});
