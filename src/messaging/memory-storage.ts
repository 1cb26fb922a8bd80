import { checkConsumer, pruneInSteps, resolvePrune } from './retention.js';
import type { PrunableInbox } from './storage.js';

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
