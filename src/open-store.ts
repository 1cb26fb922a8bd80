import type { EventStore } from './core/store.js';
import { parseStoreUrl, type StoreUrl } from './store-url.js';
import { createMemoryStore } from './stores/memory/memory-store.js';

export interface OpenStoreOptions {
  /** SQLite only: 'FULL' (default, durable on power loss) or 'NORMAL' (faster). */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * PostgreSQL only: the schema holding Factum's tables (default: the URL's `?schema=`, else 'factum').
   * A URL whose `?schema=` says otherwise is refused. Ignored by the other stores.
   */
  schema?: string;
  /**
   * Apply pending migrations on open. SQLite: default true. PostgreSQL: default false (run
   * `factum migrate` at deploy time; opening an unmigrated schema fails and says so).
   */
  migrate?: boolean;
}

/**
 * Opens a store from a URL:
 * - `memory:` — in process memory (tests, examples);
 * - `sqlite:<path>` — one SQLite file, created if missing (e.g. `sqlite:./data/app.db`);
 * - `sqlite::memory:` — SQLite in memory;
 * - `postgres://…` or `postgresql://…` — PostgreSQL (a pool of 10 connections, closed by close()),
 *   in the schema given by `?schema=` or `options.schema` (default 'factum').
 * A URL of another kind, or with a query parameter Factum or the driver does not read, is refused with
 * UnsupportedStoreUrlError before anything is opened. The driver of a durable store is loaded only when
 * such a URL is opened.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<EventStore> {
  return openStoreAt(
    parseStoreUrl(url, options.schema === undefined ? {} : { schema: options.schema }),
    options,
  );
}

/** Opens the store a parsed URL designates (what openStore and the `factum` commands share). */
export async function openStoreAt(
  target: StoreUrl,
  options: Omit<OpenStoreOptions, 'schema'> = {},
): Promise<EventStore> {
  switch (target.kind) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite': {
      const { createSqliteStore } = await import('./stores/sqlite/index.js');
      return createSqliteStore(target.filename, {
        ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
        ...(options.migrate === undefined ? {} : { migrate: options.migrate }),
      });
    }
    case 'postgres': {
      const { createPostgresStore } = await import('./stores/postgres/index.js');
      return createPostgresStore({
        connectionString: target.connectionString,
        schema: target.schema,
        ...(options.migrate === undefined ? {} : { migrate: options.migrate }),
      });
    }
  }
}
