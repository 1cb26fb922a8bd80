import { AsyncLocalStorage } from 'node:async_hooks';
import type { StoredEvent } from './envelope.js';
import { isRetriable as isRetriableError, SubscriptionHandlerError } from './errors.js';
import { type RetryOptions, retry } from './retry.js';
import {
  type AllRead,
  checkPosition,
  type EventHandler,
  type ReadAllOptions,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStatus,
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

/** A readAll page; a store may add whether committed events wait behind an unfinished transaction. */
export interface SourcePage extends AllRead {
  /** True when committed events exist beyond what readers may see yet (PostgreSQL's in-flight horizon). */
  heldBack?: boolean;
}

export interface PollingSubscriptionSource {
  readAll(options: ReadAllOptions): Promise<SourcePage>;
  notifier: AppendNotifier;
  /** How long to wait for a notification before polling anyway (appends from other processes). */
  pollIntervalMs: number;
  /**
   * How long to wait instead while the last read reported held-back events: the transaction they wait
   * for may finish without any notification (it need not be an append). Default: pollIntervalMs.
   */
  heldBackPollIntervalMs?: number;
}

/** Subscriptions retry failed reads until unsubscribed unless told otherwise. */
const SUBSCRIPTION_RETRY: RetryOptions = {
  retries: Number.MAX_SAFE_INTEGER,
  initialDelayMs: 50,
  maxDelayMs: 2000,
  factor: 2,
  jitter: 0.2,
};

/**
 * Catch-up-then-live subscription over readAll: pages through the log from `after`, then waits for
 * the store's append notifications (or the poll interval) and reads again. The handler runs for one
 * event at a time, in position order; a throw stops the subscription at that event. Reads that fail
 * with a retriable error are retried with backoff (the position only moves after a handler finished,
 * so a retried read neither skips nor repeats an event).
 */
export function pollingSubscription(
  source: PollingSubscriptionSource,
  options: SubscribeOptions,
  handler: EventHandler,
): Subscription {
  const after = options.after ?? 0n;
  checkPosition('after', after);
  const abort = new AbortController();
  const batchSize = options.batchSize ?? 500;
  const status: SubscriptionStatus = { state: 'catching-up', position: after };
  const self = Symbol('subscription');
  const heldBackPollMs = source.heldBackPollIntervalMs ?? source.pollIntervalMs;
  const isRetriable = options.retry?.isRetriable ?? isRetriableError;
  let unavailable: SubscriptionStatus['unavailable'];
  let heldBackSince: Date | undefined;
  const retryOptions: RetryOptions = {
    ...SUBSCRIPTION_RETRY,
    ...options.retry,
    signal: abort.signal,
    isRetriable: (error, attempt) => {
      if (!isRetriable(error, attempt)) return false;
      const err = error instanceof Error ? error : new Error(String(error));
      unavailable = {
        since: unavailable?.since ?? new Date(),
        attempts: (unavailable?.attempts ?? 0) + 1,
        error: err,
      };
      return true;
    },
  };

  const read = async (): Promise<SourcePage | undefined> => {
    try {
      const page = await retry(
        () =>
          source.readAll({
            after: status.position,
            limit: batchSize,
            types: options.types,
            categories: options.categories,
          }),
        retryOptions,
      );
      unavailable = undefined;
      if (page.heldBack !== true) heldBackSince = undefined;
      else heldBackSince ??= new Date();
      return page;
    } catch (error) {
      if (abort.signal.aborted) return undefined;
      throw error;
    }
  };

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      const seen = source.notifier.generation;
      const page = await read();
      if (page === undefined) return;
      if (page.events.length === 0) {
        status.state = 'live';
        const waitMs = heldBackSince === undefined ? source.pollIntervalMs : heldBackPollMs;
        await source.notifier.wait(seen, waitMs, abort.signal);
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
    status: () => {
      const snapshot: SubscriptionStatus = { ...status };
      if (heldBackSince !== undefined && status.state !== 'stopped' && status.state !== 'failed') {
        snapshot.heldBackSince = heldBackSince;
        snapshot.heldBackMs = Date.now() - heldBackSince.getTime();
      }
      if (unavailable !== undefined && status.state !== 'stopped') snapshot.unavailable = { ...unavailable };
      return snapshot;
    },
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
