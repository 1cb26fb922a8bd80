// Rewrites every code block marked `<!-- region: <file>#<name> -->` in README.md and docs/*.md with the
// text between `// #region <name>` and `// #endregion <name>` of that file, so docs show tested code.
// Run: node scripts/sync-docs.mjs   (test/docs checks that nothing is out of date)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

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
  return text.slice(start + open.length, end);
}

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(
    marker,
    (_, path, name) => `<!-- region: ${path}#${name} -->\n\`\`\`ts\n${region(path, name)}\`\`\`\n`,
  );
  if (next !== text) {
    writeFileSync(file, next);
    process.stdout.write(`updated ${file}\n`);
  }
}
