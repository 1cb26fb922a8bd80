import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
// Built inside the repository so that the output resolves the repository's node_modules.
mkdirSync(join(root, '.factum'), { recursive: true });
const out = mkdtempSync(join(root, '.factum', 'build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the built package', () => {
  it('compiles, and each subpath export loads as ESM; the main entry loads no driver and no prom-client', () => {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, { import?: string; types?: string } | string>;
    };
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const main = await import(${JSON.stringify(join(out, 'index.js'))});
      const loaded = Object.keys(require.cache).filter((k) => /node_modules\\/(better-sqlite3|pg|kafkajs|amqplib|@nats-io|@aws-sdk|@opentelemetry|prom-client)\\//.test(k));
      const sqlite = await import(${JSON.stringify(join(out, 'stores/sqlite/index.js'))});
      const store = sqlite.createSqliteStore(':memory:');
      await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
      const observability = await import(${JSON.stringify(join(out, 'observability/index.js'))});
      const { Registry } = await import('prom-client');
      const metrics = observability.projectionMetrics({ status: async () => [], on: () => () => {} }, { registry: new Registry() });
      const scraped = await metrics.registry.metrics();
      console.log(JSON.stringify({
        main: Object.keys(main).sort(),
        loaded,
        version: (await store.readStream('order-1')).version,
        observability: Object.keys(observability).sort(),
        scraped,
      }));
    `;
    const result = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }),
    ) as {
      main: string[];
      loaded: string[];
      version: number;
      observability: string[];
      scraped: string;
    };
    expect(result.loaded).toEqual([]);
    expect(result.main).toEqual(
      expect.arrayContaining(['openStore', 'createMemoryStore', 'ConcurrencyError', 'newEventId']),
    );
    expect(result.version).toBe(1);
    expect(result.observability).toEqual([
      'messagingMetrics',
      'metricsHandler',
      'projectionMetrics',
      'sagaMetrics',
    ]);
    expect(result.scraped).toContain('factum_projection_status_errors_total 0');
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(target.import, subpath).toMatch(/^\.\/dist\/.+\.js$/);
      expect(target.types, subpath).toMatch(/^\.\/dist\/.+\.d\.ts$/);
      const built = join(out, target.import!.replace(/^\.\/dist\//, ''));
      expect(() => readFileSync(built), `${subpath} → ${built}`).not.toThrow();
    }
  });
});
