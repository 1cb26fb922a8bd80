import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every code block in a docs page that is preceded by `<!-- sample: path/to/file.ts#region -->` must
// be exactly the code between `// #region name` and `// #endregion name` in that file (dedented), so
// the samples in the docs are compiled and run by the test suite.
const root = join(import.meta.dirname, '..', '..');
const pages = ['docs/command-side.md'];

function region(file: string, name: string): string {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${name}`);
  if (start === -1) throw new Error(`${file} has no region ${name}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === `// #endregion ${name}`);
  if (end === -1) throw new Error(`${file} has no end of region ${name}`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n');
}

describe('docs samples are tested code', () => {
  for (const page of pages) {
    it(`${page} shows its samples exactly as the tests run them`, () => {
      const text = readFileSync(join(root, page), 'utf8');
      const samples = [...text.matchAll(/<!-- sample: ([^#\s]+)#([\w-]+) -->\n(`{3,})ts\n([\s\S]*?)\n\3\n/g)];
      expect(samples.length).toBeGreaterThan(0);
      for (const [, file, name, , code] of samples) {
        expect(code, `${page}: ${file}#${name}`).toBe(region(file!, name!));
      }
      // No sample marker without its code block right after it.
      expect(text.match(/<!-- sample:/g)?.length).toBe(samples.length);
    });
  }
});
