/**
 * The dashboard's files, served from the package itself: `dashboard/` (HTML, CSS, ES modules, no
 * build step) and Preact + htm from the package's own dependencies, their bare imports rewritten to
 * these URLs (an import map would be an inline script, which the CSP forbids). No CDN; works offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { Env } from './context.js';

const here = dirname(fileURLToPath(import.meta.url));
/** `dashboard/` at the package's root: two levels up from both src/server and dist/server. */
export const DASHBOARD_DIR = join(here, '..', '..', 'dashboard');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const require = createRequire(import.meta.url);

interface Asset {
  body: string;
  type: string;
}

function vendor(): Map<string, Asset> {
  const js = TYPES['.js'] as string;
  const rewrite = (file: string) =>
    readFileSync(file, 'utf8')
      .replaceAll('from"preact"', 'from"/vendor/preact.mjs"')
      .replaceAll("from 'preact'", "from '/vendor/preact.mjs'")
      .replace(/\/\/# sourceMappingURL=.*$/m, '');
  return new Map([
    ['/vendor/preact.mjs', { body: rewrite(require.resolve('preact')), type: js }],
    ['/vendor/hooks.mjs', { body: rewrite(require.resolve('preact/hooks')), type: js }],
    ['/vendor/htm.mjs', { body: rewrite(join(dirname(require.resolve('htm')), 'htm.module.js')), type: js }],
  ]);
}

export function dashboardRoutes(app: Hono<Env>): void {
  let vendored: Map<string, Asset> | undefined;
  const cache = new Map<string, Asset>();
  const file = (path: string): Asset | undefined => {
    const known = cache.get(path);
    if (known !== undefined) return known;
    const full = normalize(join(DASHBOARD_DIR, path));
    if (!full.startsWith(DASHBOARD_DIR + sep)) return undefined;
    const type = TYPES[extname(full)];
    if (type === undefined) return undefined;
    try {
      const asset = { body: readFileSync(full, 'utf8'), type };
      cache.set(path, asset);
      return asset;
    } catch {
      return undefined;
    }
  };
  app.get('/vendor/:file', (c) => {
    vendored ??= vendor();
    const asset = vendored.get(new URL(c.req.url).pathname);
    if (asset === undefined) return c.notFound();
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600' });
  });
  app.get('/assets/*', (c) => {
    const asset = file(new URL(c.req.url).pathname.slice('/assets/'.length));
    if (asset === undefined) return c.notFound();
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache' });
  });
  // Every other GET outside /api is the single page: the dashboard routes in the browser (#/…).
  app.get('/', (c) => {
    const asset = file('index.html');
    if (asset === undefined) return c.text('The dashboard files are missing from this installation', 500);
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache' });
  });
}
