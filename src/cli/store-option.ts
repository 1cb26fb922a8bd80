// `--store <url>` and `--schema <name>`: how every command that opens a store names it. The URL is
// read by parseStoreUrl, the same reading openStore() applies, so a URL or schema the command cannot
// use is refused with the same words rather than quietly replaced by a default.
import { existsSync } from 'node:fs';
import type { EventStore } from '../core/store.js';
import { openStoreAt } from '../open-store.js';
import { parseStoreUrl, type StoreUrl } from '../store-url.js';
import type { CliIo } from './io.js';
import { CliUsageError } from './load-registry.js';

export interface StoreFlags {
  store?: string;
  schema?: string;
}

/** A store the command line works on: a SQLite file or a PostgreSQL schema. */
export type CliStoreUrl = Exclude<StoreUrl, { kind: 'memory' }>;

/** `--store <url>`, for `.option(...storeOption)`. */
export const storeOption = [
  '--store <url>',
  'sqlite:<file> or postgres://… (default: $FACTUM_STORE_URL)',
] as const;

/** `--schema <name>`, for `.option(...schemaOption)`: every command with `--store`, and `migrate`. */
export const schemaOption = [
  '--schema <name>',
  'PostgreSQL schema; or ?schema=<name> in the URL (default: factum)',
] as const;

/** Reads a store URL given on the command line, with `--schema`. */
export function parseCliStoreUrl(url: string, schema: string | undefined): CliStoreUrl {
  return parseStoreUrl(url, {
    kinds: ['sqlite', 'postgres'],
    schemaSource: '--schema',
    ...(schema === undefined ? {} : { schema }),
  }) as CliStoreUrl;
}

/**
 * The store named by `--store` (else $FACTUM_STORE_URL) and `--schema`. A SQLite file must exist: a
 * command that reads or tidies a store never creates an empty one from a mistyped path.
 */
export function existingStore(io: CliIo, flags: StoreFlags): CliStoreUrl {
  const url = flags.store ?? (io.env ?? process.env).FACTUM_STORE_URL;
  if (url === undefined || url === '') {
    throw new CliUsageError('no store: pass --store <url> or set FACTUM_STORE_URL');
  }
  const target = parseCliStoreUrl(url, flags.schema);
  if (target.kind === 'sqlite' && (target.filename === ':memory:' || !existsSync(target.filename))) {
    throw new CliUsageError(`no SQLite database at ${target.filename}`);
  }
  return target;
}

/** How output names a store: `schema <name>` or the SQLite file. */
export function describeStore(target: CliStoreUrl): string {
  return target.kind === 'postgres' ? `schema ${target.schema}` : target.filename;
}

/** Opens the store of `flags` (see existingStore), runs `run` and closes the store. */
export async function withStore(
  io: CliIo,
  flags: StoreFlags,
  run: (store: EventStore, target: CliStoreUrl) => Promise<number>,
): Promise<number> {
  const target = existingStore(io, flags);
  const store = await openStoreAt(target);
  try {
    return await run(store, target);
  } finally {
    await store.close();
  }
}
