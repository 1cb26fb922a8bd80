import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The text between `// #region name` and `// #endregion name`, without its common indentation. */
function region(path: string, name: string): string {
  const text = read(path);
  const start = text.indexOf(`// #region ${name}\n`);
  const end = text.indexOf(`// #endregion ${name}`);
  if (start === -1 || end === -1) throw new Error(`region ${name} not found in ${path}`);
  const body = text.slice(start + `// #region ${name}\n`.length, text.lastIndexOf('\n', end) + 1);
  const lines = body.split('\n');
  const indent = Math.min(
    ...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length),
  );
  return lines.map((l) => l.slice(indent)).join('\n');
}

describe('docs/projections.md', () => {
  const doc = read('docs/projections.md');
  const includes = [...doc.matchAll(/<!-- include: ([^#]+)#([\w-]+) -->\n```ts\n([\s\S]*?)```/g)];

  it('includes its code samples from tested files', () => {
    expect(includes.length).toBeGreaterThanOrEqual(10);
  });

  for (const [, path, name, block] of includes) {
    it(`shows ${path}#${name} exactly as the file has it`, () => {
      expect(block).toBe(region(path!, name!));
    });
  }

  it('is linked from the other docs it belongs with', () => {
    expect(read('docs/architecture.md')).toContain('projections.md');
    expect(read('docs/requirements.md')).toContain('projections.md');
  });
});
