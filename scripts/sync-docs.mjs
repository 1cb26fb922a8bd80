// Rewrites every code block marked `<!-- region: <file>#<name> -->` in README.md and docs/*.md with the
// text between `// #region <name>` and `// #endregion <name>` of that file, so docs show tested code.
// Run: node scripts/sync-docs.mjs          rewrite what is out of date
//      node scripts/sync-docs.mjs --check  list what is out of date and exit 1 (test/docs runs this)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const check = process.argv.includes('--check');
let stale = 0;
const files = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const marker = /<!-- region: ([^#\s]+)#(\S+) -->\n```ts\n[\s\S]*?```\n/g;

function region(path, name) {
  const text = readFileSync(path, 'utf8');
  const open = `// #region ${name}\n`;
  const start = text.indexOf(open);
  const end = text.indexOf(`// #endregion ${name}`);
  if (start === -1 || end === -1) throw new Error(`region ${name} not found in ${path}`);
  return dedent(text.slice(start + open.length, end));
}

/** Removes the indentation all non-empty lines share (a region may sit inside a function). */
function dedent(block) {
  const lines = block.split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length);
  const cut = indents.length === 0 ? 0 : Math.min(...indents);
  return lines.map((l) => l.slice(Math.min(cut, l.length - l.trimStart().length))).join('\n');
}

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(
    marker,
    (_, path, name) => `<!-- region: ${path}#${name} -->\n\`\`\`ts\n${region(path, name)}\`\`\`\n`,
  );
  if (next === text) continue;
  stale++;
  if (check) {
    process.stdout.write(`out of date: ${file} (run node scripts/sync-docs.mjs)\n`);
  } else {
    writeFileSync(file, next);
    process.stdout.write(`updated ${file}\n`);
  }
}
const blocks = files.reduce((n, f) => n + [...readFileSync(f, 'utf8').matchAll(marker)].length, 0);
process.stdout.write(`${blocks} marked code blocks in ${files.length} files\n`);
if (check && stale > 0) process.exitCode = 1;
