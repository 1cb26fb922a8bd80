import type { SqliteEventStore } from './sqlite-store.js';

/**
 * Whether `value` is a SQLite event store: its connection, gated transactions and append hooks (what
 * projections and messaging work with). Checked by shape, so two copies of the package agree.
 */
export function isSqliteStore(value: unknown): value is SqliteEventStore {
  const s = value as Partial<SqliteEventStore> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.transaction === 'function' &&
    typeof s.read === 'function' &&
    typeof s.addAppendHook === 'function' &&
    'database' in s
  );
}
