import { AsyncLocalStorage } from 'node:async_hooks';
import type { StoredEvent } from './envelope.js';
import { SubscriptionHandlerError } from './errors.js';
import type {
  AllRead,
  EventHandler,
  ReadAllOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionStatus,
} from './store.js';

/**
 * Wakes waiters when a store appends. A generation counter closes the race between "read found
 * nothing" and "start waiting": a waiter that saw an older generation returns at once.
 */
export class AppendNotifier {
  #generation = 0;
  #waiters = new Set<() => void>();

  get generation(): number {
    return this.#generation;
  }

  notify(): void {
    this.#generation++;
    const waiters = this.#waiters;
    if (waiters.size === 0) return;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next notify after `seen`, after `timeoutMs`, or when `signal` aborts. */
  wait(seen: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.#generation !== seen || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }
}

export interface PollingSubscriptionSource {
  readAll(options: ReadAllOptions): Promise<AllRead>;
  notifier: AppendNotifier;
  /** How long to wait for a notification before polling anyway (appends from other processes). */
  pollIntervalMs: number;
}

/**
 * Catch-up-then-live subscription over readAll: pages through the log from `after`, then waits for
 * the store's append notifications (or the poll interval) and reads again. The handler runs for one
 * event at a time, in position order; a throw stops the subscription at that event.
 */
export function pollingSubscription(
  source: PollingSubscriptionSource,
  options: SubscribeOptions,
  handler: EventHandler,
): Subscription {
  const abort = new AbortController();
  const batchSize = options.batchSize ?? 500;
  const status: SubscriptionStatus = { state: 'catching-up', position: options.after ?? 0n };
  const self = Symbol('subscription');

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      const seen = source.notifier.generation;
      const page = await source.readAll({
        after: status.position,
        limit: batchSize,
        types: options.types,
        categories: options.categories,
      });
      if (page.events.length === 0) {
        status.state = 'live';
        await source.notifier.wait(seen, source.pollIntervalMs, abort.signal);
        continue;
      }
      for (const event of page.events) {
        if (abort.signal.aborted) return;
        await insideHandler.run(self, () => deliver(handler, event));
        status.position = event.position;
      }
      if (page.events.length < batchSize) status.state = 'live';
    }
  };

  const done = run().then(
    () => {
      status.state = 'stopped';
    },
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      status.state = 'failed';
      status.error = err;
      options.onError?.(err);
      throw err;
    },
  );
  // The caller may never look at `done`; a failure is reported through status() and onError instead.
  done.catch(() => {});

  return {
    done,
    status: () => ({ ...status }),
    async unsubscribe() {
      abort.abort();
      // From inside this subscription's own handler, waiting for the handler would deadlock.
      if (insideHandler.getStore() === self) return;
      await done.catch(() => {});
    },
  };
}

const insideHandler = new AsyncLocalStorage<symbol>();

async function deliver(handler: EventHandler, event: StoredEvent): Promise<void> {
  try {
    await handler(event);
  } catch (cause) {
    throw new SubscriptionHandlerError(event.id, event.position, cause);
  }
}

/** The live subscriptions of one store, so that closing the store stops them all first. */
export class SubscriptionSet {
  readonly #open = new Set<Subscription>();

  /** Starts a polling subscription over `source` and tracks it until it stops. */
  start(source: PollingSubscriptionSource, options: SubscribeOptions, handler: EventHandler): Subscription {
    const subscription = pollingSubscription(source, options, handler);
    this.#open.add(subscription);
    const forget = () => this.#open.delete(subscription);
    subscription.done.then(forget, forget);
    return subscription;
  }

  /** Unsubscribes every open subscription and waits for their handlers to finish. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#open].map((s) => s.unsubscribe()));
  }
}
