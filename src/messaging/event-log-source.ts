import type { EventStore } from '../core/store.js';
import type { FollowStorage } from '../follow/index.js';
import { followStorageOf, logSource } from '../follow/index.js';
import type { RelaySource } from './storage.js';

export interface EventLogSourceOptions {
  /** The relay's name (default 'relay'): its checkpoint and lease. One relay per name runs at a time. */
  name?: string;
  /** Only these categories / types go to the broker (default: every event). */
  categories?: readonly string[];
  types?: readonly string[];
  /**
   * Where the checkpoint and the lease live. Default: the store's own database (SQLite file,
   * PostgreSQL schema), or process memory for the memory store.
   */
  storage?: FollowStorage;
}

/** The checkpoint name of an event-log relay. */
export function relayCheckpoint(name: string): string {
  return `relay:${name}`;
}

/**
 * The event log as the outbox: the global log after the relay's checkpoint, read by the follow kit
 * (pages while catching up, then the store's live subscription); commit saves the page's last
 * position, fenced by the relay's lease. On SQLite and PostgreSQL (withSchemas over them included)
 * the events keep their stored data JSON, which the brokers send as the body.
 */
export function eventLogSource(store: EventStore, options: EventLogSourceOptions = {}): RelaySource {
  const name = options.name ?? 'relay';
  const storage = options.storage ?? followStorageOf(store);
  const checkpoint = relayCheckpoint(name);
  return {
    name,
    storage,
    // The stored data JSON goes to the broker as it is (no parse and stringify again), see core/stored-data.ts.
    pages: logSource(store, { types: options.types, categories: options.categories, rawData: true }),
    async start() {
      return (await storage.read((tx) => tx.getCheckpoint(checkpoint))) ?? 0n;
    },
    commit(page, lease) {
      return lease.commitCheckpoint(checkpoint, page.last);
    },
  };
}
