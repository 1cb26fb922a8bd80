import type { EventStore, Subscription } from '../core/store.js';
import type { CheckpointStore, RelayBatch, RelaySource } from './storage.js';

export interface EventLogSourceOptions {
  /** The checkpoint's name (default 'relay'). One relay per name runs at a time. */
  name?: string;
  /** Only these categories / types go to the broker (default: every event). */
  categories?: readonly string[];
  types?: readonly string[];
}

/**
 * The event log as the outbox: the next events of the global log after the saved checkpoint; commit
 * saves the batch's last position. Appends in this process wake the relay at once (through a
 * subscription), appends from other processes are found by the relay's idle polling.
 */
export function eventLogSource(
  store: EventStore,
  checkpoints: CheckpointStore,
  options: EventLogSourceOptions = {},
): RelaySource {
  const name = options.name ?? 'relay';
  let position: bigint | undefined;
  let wakeUp: (() => void) | undefined;
  let subscription: Subscription | undefined;
  return {
    name,
    async next(limit): Promise<RelayBatch> {
      // The read cursor runs ahead of the checkpoint while batches are in flight; it starts at the
      // checkpoint, loaded once per run (while the relay holds the lease, nobody else moves it).
      position ??= await checkpoints.load(name);
      const from = position;
      const page = await store.readAll({
        after: from,
        limit,
        ...(options.categories === undefined ? {} : { categories: options.categories }),
        ...(options.types === undefined ? {} : { types: options.types }),
      });
      if (page.events.length === 0 && wakeUp !== undefined && subscription === undefined) {
        // Caught up: from now on, appends in this process wake the relay at once.
        const wake = wakeUp;
        subscription = store.subscribe({ after: from, batchSize: 1000 }, () => wake());
      }
      position = page.last;
      return {
        events: page.events,
        async commit() {
          if (page.last !== from) await checkpoints.save(name, page.last);
        },
      };
    },
    reset() {
      position = undefined;
    },
    watch(wake) {
      wakeUp = wake;
      return () => {
        wakeUp = undefined;
        const s = subscription;
        subscription = undefined;
        void s?.unsubscribe();
      };
    },
  };
}
