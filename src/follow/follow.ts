import type { StoredEvent } from '../core/envelope.js';
import type { EventStore, Subscription } from '../core/store.js';
import { rawDataReadsOf } from '../core/stored-data.js';
import { Waker } from './pause.js';

/** Consecutive events of a source, in order; resume after `last`. */
export interface Page {
  readonly events: readonly StoredEvent[];
  readonly last: bigint;
}

/** Where a follower reads from: the global event log (`logSource`) or an outbox table. */
export interface FollowSource<P extends Page = Page> {
  /** The next events after `after`, at most `limit`; an empty page when there is nothing new yet. */
  read(after: bigint, limit: number): Promise<P>;
  /**
   * The head as it is now. Catch-up reads up to the head found at start and no further, so it ends
   * even while appends keep coming; without `head`, catch-up ends at the first short page.
   */
  head?(): Promise<bigint>;
  /**
   * Live delivery of every event after `after` (the store's subscription: notifications, polling,
   * held-back transactions and read retries included). Its pages are plain `Page`s, so a source
   * with `subscribe` reads plain pages too. Without it, the live phase polls `read`.
   */
  subscribe?(
    after: bigint,
    batchSize: number,
    handler: (event: StoredEvent) => void | Promise<void>,
  ): Subscription;
  /** Wakes a polling live phase early (new rows in this process); returns the unsubscribe function. */
  watch?(wake: () => void): () => void;
  /** Gives back a page that was read ahead and never handed to `onPage` (an outbox claim holds locks). */
  release?(page: P): Promise<void>;
}

export interface FollowOptions<P extends Page> {
  source: FollowSource<P>;
  /** Start after this position (a checkpoint). */
  after: bigint;
  /** Events per page. */
  pageSize: number;
  /**
   * Handles one page; pages come one at a time, in order. A throw stops the loop with that error.
   * `readAhead` starts reading the next page now (with `prefetch: 'when-asked'`; otherwise, and
   * when the next page is being read already or there is none, it does nothing).
   */
  onPage(page: P, readAhead: () => void): Promise<void>;
  /** Stops the loop: the page in hand is finished, events gathered live are handed over first. */
  signal: AbortSignal;
  /** false: stop once caught up with the head found at start. Default true: then follow live. */
  live?: boolean;
  /** Polling live phase: how long to wait for new rows when a read came back empty (ms, default 100). */
  pollMs?: number;
  /**
   * Read the next page while `onPage` handles the current one (default false): true, from the
   * moment the page is handed over; 'when-asked', from the moment onPage calls `readAhead` (or after
   * it, if it never does). A reply parsed on this thread while onPage waits on a round trip of its
   * own delays that round trip: a handler that knows when it will wait longest (a large write) asks then.
   */
  prefetch?: boolean | 'when-asked';
  /** Wraps every read (a retry policy); reads are not retried by default. */
  retry?: <T>(read: () => Promise<T>) => Promise<T>;
  /** Called once, with the position reached, when the loop goes live. */
  onLive?(position: bigint): void;
  /**
   * Receives a function that tells, at any time, the oldest event read and not yet handled (for
   * lag: how long the oldest unprocessed event has waited).
   */
  track?(oldestPending: () => StoredEvent | undefined): void;
}

/** The longest an event waits in a live page being gathered before the page is handed over (ms). */
const MAX_GATHER_MS = 5;

/**
 * The one way to follow the log: catch up by reading pages from `after` up to the head found at
 * start, then go live: through the source's subscription (events gathered into pages: up to
 * `pageSize`, or what arrived before the event loop turned), or by polling the source. Every page
 * goes to `onPage`, one at a time, in order. Resolves with the position reached when `signal`
 * aborts (or, with `live: false`, when caught up); rejects with the first error of a read, of
 * `onPage` or of the subscription.
 */
export async function follow<P extends Page>(options: FollowOptions<P>): Promise<bigint> {
  const reached = await catchUp(options);
  if (options.live === false || options.signal.aborted) return reached;
  options.onLive?.(reached);
  if (options.source.subscribe !== undefined) return liveBySubscription(options, reached);
  return liveByPolling(options, reached);
}

/**
 * A source over an event store's global log, optionally filtered; `head` bounds catch-up.
 * `rawData`: read through the store's reads that keep each event's data JSON as stored (catch-up
 * pages and live subscription alike; see core/stored-data.ts), for a follower that sends the data
 * on rather than using it (the event-log relay); a store without them (the memory store, a wrapper
 * that does not pass them on) is read with plain readAll and subscribe.
 */
export function logSource(
  store: EventStore,
  options: {
    head?: () => Promise<bigint>;
    types?: readonly string[] | undefined;
    categories?: readonly string[] | undefined;
    rawData?: boolean;
  } = {},
): FollowSource<Page> {
  const filter = {
    ...(options.types === undefined ? {} : { types: options.types }),
    ...(options.categories === undefined ? {} : { categories: options.categories }),
  };
  const reads = (options.rawData === true ? rawDataReadsOf(store) : undefined) ?? store;
  return {
    read: (after, limit) => reads.readAll({ after, limit, ...filter }),
    ...(options.head === undefined ? {} : { head: options.head }),
    subscribe: (after, batchSize, handler) => reads.subscribe({ after, batchSize, ...filter }, handler),
  };
}

function reader<P extends Page>(options: FollowOptions<P>): (after: bigint) => Promise<P> {
  const { source, pageSize, retry } = options;
  return (after) => {
    const page =
      retry === undefined ? source.read(after, pageSize) : retry(() => source.read(after, pageSize));
    // A page read ahead may be dropped unread when onPage fails; its rejection is the reader's.
    page.catch(() => {});
    return page;
  };
}

const ignore = (): void => {};

/** The page onPage is handling, for `track`. */
class InHand<P extends Page> {
  page: P | undefined;

  constructor(
    readonly options: FollowOptions<P>,
    gathered: () => StoredEvent | undefined = () => undefined,
  ) {
    options.track?.(() => this.page?.events[0] ?? gathered());
  }

  async hand(page: P, readAhead: () => void = ignore): Promise<void> {
    this.page = page;
    try {
      await this.options.onPage(page, readAhead);
    } finally {
      this.page = undefined;
    }
  }
}

/** Gives back a page read ahead that onPage never got. */
async function drop<P extends Page>(
  options: FollowOptions<P>,
  pending: Promise<P> | undefined,
): Promise<void> {
  if (pending === undefined || options.source.release === undefined) return;
  const page = await pending.catch(() => undefined);
  if (page !== undefined && page.events.length > 0) await options.source.release(page).catch(() => {});
}

async function catchUp<P extends Page>(options: FollowOptions<P>): Promise<bigint> {
  const { source, signal, pageSize } = options;
  const read = reader(options);
  let from = options.after;
  const head = source.head === undefined ? undefined : await source.head();
  let next = head === undefined || from < head ? read(from) : undefined;
  const inHand = new InHand(options);
  try {
    while (next !== undefined && !signal.aborted) {
      const page = await next;
      next = undefined;
      if (page.events.length === 0) break;
      const last = page.events.length < pageSize || (head !== undefined && page.last >= head);
      if (options.prefetch === true && !last) next = read(page.last);
      const after = page.last;
      const readAhead =
        options.prefetch === 'when-asked' && !last
          ? () => {
              next ??= read(after);
            }
          : ignore;
      await inHand.hand(page, readAhead);
      from = page.last;
      if (last) break;
      next ??= read(from);
    }
  } finally {
    await drop(options, next);
  }
  return from;
}

async function liveByPolling<P extends Page>(options: FollowOptions<P>, after: bigint): Promise<bigint> {
  const { source, signal } = options;
  const read = reader(options);
  const waker = new Waker();
  const unwatch = source.watch?.(waker.wake);
  const pollMs = options.pollMs ?? 100;
  let from = after;
  let next: Promise<P> | undefined;
  const inHand = new InHand(options);
  try {
    while (!signal.aborted) {
      if (next === undefined) {
        waker.reset();
        next = read(from);
      }
      const page = await next;
      next = undefined;
      if (page.events.length === 0) {
        await waker.idle(pollMs, signal);
        continue;
      }
      const after = page.last;
      const readAhead = () => {
        if (next !== undefined) return;
        waker.reset();
        next = read(after);
      };
      if (options.prefetch === true) readAhead();
      await inHand.hand(page, options.prefetch === 'when-asked' ? readAhead : ignore);
      from = page.last;
    }
  } finally {
    unwatch?.();
    await drop(options, next);
  }
  return from;
}

async function liveBySubscription<P extends Page>(options: FollowOptions<P>, after: bigint): Promise<bigint> {
  const { source, signal, pageSize } = options;
  let position = after;
  let failed: unknown;
  let ended = false;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  // Pages are handed over strictly one after another, in order.
  let chain: Promise<void> = Promise.resolve();
  let gathered: StoredEvent[] = [];
  let gatheringSince = 0;
  let scheduled = false;
  const inHand = new InHand(options, () => gathered[0]);
  const flush = (): Promise<void> => {
    const run = chain.then(async () => {
      if (failed !== undefined) throw failed;
      if (gathered.length === 0) return;
      const events = gathered;
      gathered = [];
      const last = events.at(-1)!.position;
      // Live pages are plain pages: a source with `subscribe` reads plain pages (see FollowSource).
      await inHand.hand({ events, last } as unknown as P);
      position = last;
    });
    chain = run.catch((error: unknown) => {
      if (failed === undefined && !ended) {
        failed = error;
        stop();
      }
    });
    return run;
  };
  const subscription = source.subscribe!(after, Math.max(pageSize, 100), (event) => {
    if (failed !== undefined) throw failed;
    if (gathered.length === 0) gatheringSince = performance.now();
    gathered.push(event);
    // Full, or held long enough while the event loop stays busy (a burst of appends in this
    // process can keep the setImmediate below from running): hand it over now.
    if (gathered.length >= pageSize || performance.now() - gatheringSince >= MAX_GATHER_MS) return flush();
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        if (!ended) flush().catch(() => {});
      });
    }
  });
  subscription.done.then(stop, (error: unknown) => {
    if (failed === undefined) failed = (error as { cause?: unknown }).cause ?? error;
    stop();
  });
  signal.addEventListener('abort', stop, { once: true });
  try {
    await stopped;
  } finally {
    signal.removeEventListener('abort', stop);
    await subscription.unsubscribe();
    // A graceful stop hands over what was already gathered.
    if (failed === undefined) await flush().catch(() => {});
    ended = true;
    await chain;
  }
  if (failed !== undefined) throw failed;
  return position;
}
