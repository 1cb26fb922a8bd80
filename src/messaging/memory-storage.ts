import type { CheckpointStore, Inbox, LeaseStore } from './storage.js';

/** Checkpoints in process memory (tests, examples, the memory store). */
export function memoryCheckpoints(): CheckpointStore {
  const saved = new Map<string, bigint>();
  return {
    async load(name) {
      return saved.get(name) ?? 0n;
    },
    async save(name, position) {
      if (position > (saved.get(name) ?? 0n)) saved.set(name, position);
    },
  };
}

/** Leases in process memory: one holder per name among the relays of this process. */
export function memoryLeases(now: () => number = Date.now): LeaseStore {
  const leases = new Map<string, { owner: string; expiresAt: number }>();
  return {
    async tryAcquire(name, owner, ttlMs) {
      const lease = leases.get(name);
      if (lease !== undefined && lease.owner !== owner && lease.expiresAt > now()) return false;
      leases.set(name, { owner, expiresAt: now() + ttlMs });
      return true;
    },
    async release(name, owner) {
      if (leases.get(name)?.owner === owner) leases.delete(name);
    },
  };
}

/**
 * An inbox in process memory, for handlers whose effects are in memory too (tests, examples). `work`
 * gets no transaction; a throw leaves the event unrecorded.
 */
export function memoryInbox(): Inbox<undefined> {
  const seen = new Set<string>();
  const key = (consumer: string, eventId: string) => `${consumer}\u0000${eventId}`;
  return {
    async process(consumer, event, work) {
      const k = key(consumer, event.id);
      if (seen.has(k)) return 'duplicate';
      await work(undefined);
      seen.add(k);
      return 'processed';
    },
    async has(consumer, eventId) {
      return seen.has(key(consumer, eventId));
    },
  };
}
