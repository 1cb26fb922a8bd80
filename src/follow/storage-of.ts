import { NotSupportedError } from '../core/errors.js';
import type { EventStore } from '../core/store.js';
import { memoryFollowStorage } from './memory/storage.js';
import { type PostgresFollowHandle, postgresFollowStorage } from './postgres/storage.js';
import { type SqliteFollowHandle, sqliteFollowStorage } from './sqlite/storage.js';
import type { FollowStorage } from './storage.js';

function isSqliteStore(store: object): store is SqliteFollowHandle {
  const s = store as { database?: unknown; transaction?: unknown; read?: unknown };
  return (
    typeof s.database === 'object' && typeof s.transaction === 'function' && typeof s.read === 'function'
  );
}

function isPostgresStore(store: object): store is PostgresFollowHandle {
  const s = store as { pool?: { connect?: unknown }; schema?: unknown };
  return typeof s.pool?.connect === 'function' && typeof s.schema === 'string';
}

/** The memory store marks itself (src/stores/memory) so that followers find memory leases for it. */
function isMemoryStore(store: object): boolean {
  return (store as { dialect?: unknown }).dialect === 'memory';
}

/**
 * The follow storage of an event store: its own database (SQLite file, PostgreSQL schema), or process
 * memory for the memory store. Other stores need one passed explicitly.
 */
export function followStorageOf(store: EventStore): FollowStorage {
  if (isSqliteStore(store)) return sqliteFollowStorage(store);
  if (isPostgresStore(store)) return postgresFollowStorage(store);
  if (isMemoryStore(store)) return memoryFollowStorage(store);
  throw new NotSupportedError(
    'following this store without an explicit follow storage (pass { storage } where leases and checkpoints live)',
    'given',
  );
}
