import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isSchemaRegistry, type SchemaRegistry } from '../core/schema-registry.js';

/** A problem the user can fix (bad flag, missing file): printed without a stack, exit code 2. */
export class CliUsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliUsageError';
  }
}

/** Config files looked for in the working directory when no --registry is given, in this order. */
export const CONFIG_FILES = [
  'factum.config.ts',
  'factum.config.mts',
  'factum.config.mjs',
  'factum.config.js',
];

export const DEFAULT_LOCK_FILE = 'factum.schema.lock.json';

export interface LoadedRegistry {
  registry: SchemaRegistry;
  /** The module it came from (as given or found). */
  source: string;
  /** The lock file named by the module (`schemaLock`), resolved against the working directory. */
  schemaLock?: string;
}

/**
 * Loads the schema registry from a module: the one given with --registry, else the first
 * factum.config.{ts,mts,mjs,js} in the working directory. The module exports the registry as
 * `registry` (or as its default export), and may export `schemaLock`, the lock file path.
 */
export async function loadRegistry(cwd: string, modulePath: string | undefined): Promise<LoadedRegistry> {
  const source = modulePath ?? CONFIG_FILES.find((f) => existsSync(resolve(cwd, f)));
  if (source === undefined) {
    throw new CliUsageError(
      `No schema registry: pass --registry <module> or add ${CONFIG_FILES.join(' / ')} exporting \`registry\``,
    );
  }
  const path = isAbsolute(source) ? source : resolve(cwd, source);
  if (!existsSync(path)) throw new CliUsageError(`Registry module not found: ${source} (looked at ${path})`);
  const loaded = (await importModule(path, cwd)) as Record<string, unknown>;
  const candidates = [
    loaded.registry,
    loaded.default,
    (loaded.default as Record<string, unknown> | undefined)?.registry,
  ];
  const registry = candidates.find(isSchemaRegistry);
  if (registry === undefined) {
    throw new CliUsageError(
      `${source} does not export a schema registry: export it as \`registry\` (or as the default export), made with createSchemaRegistry()`,
    );
  }
  const lockOption =
    loaded.schemaLock ?? (loaded.default as Record<string, unknown> | undefined)?.schemaLock ?? undefined;
  const result: LoadedRegistry = { registry, source };
  if (typeof lockOption === 'string') result.schemaLock = resolve(cwd, lockOption);
  return result;
}

async function importModule(path: string, cwd: string): Promise<unknown> {
  const url = pathToFileURL(path).href;
  try {
    return await import(url);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (!/\.[mc]?ts$/.test(path) || code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  }
  // A TypeScript module on a Node.js that cannot load it: use the project's tsx when it has one.
  const tsx = await loadTsx(cwd);
  if (tsx === undefined) {
    throw new CliUsageError(
      `Cannot load ${path}: this Node.js does not run TypeScript. Install tsx in the project (npm i -D tsx), or point --registry at compiled JavaScript`,
    );
  }
  return tsx.tsImport(url, import.meta.url);
}

type TsxApi = { tsImport: (specifier: string, parent: string) => Promise<unknown> };

async function loadTsx(cwd: string): Promise<TsxApi | undefined> {
  for (const base of [resolve(cwd, 'package.json'), import.meta.url]) {
    try {
      const resolved = createRequire(base).resolve('tsx/esm/api');
      const api = (await import(pathToFileURL(resolved.replace(/\.cjs$/, '.mjs')).href)) as Partial<TsxApi>;
      if (typeof api.tsImport === 'function') return api as TsxApi;
    } catch {
      // not installed there: try the next place
    }
  }
  return undefined;
}
