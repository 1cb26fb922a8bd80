import { checkConsumer, pruneInSteps, resolvePrune } from './retention.js';
import type { CheckpointStore, LeaseStore, PrunableInbox } from './storage.js';

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
export function memoryInbox(now: () => number = Date.now): PrunableInbox<undefined> {
  // consumer → event id → when it was processed (ms)
  const seen = new Map<string, Map<string, number>>();
  return {
    async process(consumer, event, work) {
      if (seen.get(consumer)?.has(event.id) === true) return 'duplicate';
      await work(undefined);
      let records = seen.get(consumer);
      if (records === undefined) {
        records = new Map();
        seen.set(consumer, records);
      }
      records.set(event.id, now());
      return 'processed';
    },
    async has(consumer, eventId) {
      return seen.get(consumer)?.has(eventId) === true;
    },
    async prune(options) {
      const { cutoff, batchSize } = resolvePrune(options, now());
      const only = checkConsumer(options.consumer);
      const consumers = only === undefined ? [...seen.keys()] : [only];
      return pruneInSteps(
        0,
        async (index) => {
          const records = seen.get(consumers[index]!);
          let deleted = 0;
          for (const [eventId, at] of records ?? []) {
            if (deleted === batchSize) return { deleted, next: index };
            if (at < cutoff) {
              records!.delete(eventId);
              deleted++;
            }
          }
          return { deleted, next: index + 1 < consumers.length ? index + 1 : undefined };
        },
        options.signal,
      );
    },
  };
}
