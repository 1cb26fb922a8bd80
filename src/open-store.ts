import { UnsupportedStoreUrlError } from './core/errors.js';
import type { EventStore } from './core/store.js';
import { createMemoryStore } from './stores/memory/memory-store.js';

export interface OpenStoreOptions {
  /** SQLite only: 'FULL' (default, durable on power loss) or 'NORMAL' (faster). */
  synchronous?: 'FULL' | 'NORMAL';
  /** PostgreSQL only: the schema holding Factum's tables (default 'factum'). */
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
 * - `postgres://…` or `postgresql://…` — PostgreSQL (a pool of 10 connections, closed by close()).
 * The driver of a durable store is loaded only when such a URL is opened.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<EventStore> {
  if (typeof url !== 'string') throw new UnsupportedStoreUrlError(String(url));
  if (url === 'memory:') return createMemoryStore();
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length);
    if (filename.length === 0) throw new UnsupportedStoreUrlError(url);
    const { createSqliteStore } = await import('./stores/sqlite/index.js');
    return createSqliteStore(filename, {
      ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
      ...(options.migrate === undefined ? {} : { migrate: options.migrate }),
    });
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { createPostgresStore } = await import('./stores/postgres/index.js');
    return createPostgresStore({
      connectionString: url,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.migrate === undefined ? {} : { migrate: options.migrate }),
    });
  }
  throw new UnsupportedStoreUrlError(url);
}
