/**
 * The live tail of the log for many clients: one store subscription per server, fanned out. A
 * client joins first (what the subscription delivers from then on is queued for it), then catches
 * up from its own position with log pages, then receives the queue, skipping what the pages already
 * gave it. A client that falls too far behind is dropped; it reconnects with its last position.
 */
import type { StoredEvent } from '../core/envelope.js';
import type { EventStore, Subscription } from '../core/store.js';

/** An event as the tail sends it: its position and its JSON, serialised once for every client. */
export interface LiveEvent {
  position: bigint;
  event: StoredEvent;
}

export interface LiveClient {
  /** Called with the next events in log order (a page, or all that queued up); resolve when written. */
  send(events: readonly StoredEvent[]): Promise<void>;
  /** Called once when the client is dropped for falling behind. */
  drop(reason: string): void;
}

export interface LiveLogOptions {
  /** Events queued for one client before it is dropped (default 10,000). */
  maxQueue?: number;
}

interface Member {
  queue: StoredEvent[];
  /** The last position written to the client. */
  sent: bigint;
  wake: (() => void) | undefined;
  closed: boolean;
  client: LiveClient;
}

export class LiveLog {
  readonly #store: EventStore;
  readonly #maxQueue: number;
  readonly #members = new Set<Member>();
  #subscription: Subscription | undefined;

  constructor(store: EventStore, options: LiveLogOptions = {}) {
    this.#store = store;
    this.#maxQueue = options.maxQueue ?? 10_000;
  }

  get clients(): number {
    return this.#members.size;
  }

  /**
   * Streams every event after `after` to the client until `signal` aborts or the client is dropped;
   * `filter` selects which events are written (positions advance past the others).
   */
  async follow(
    after: bigint,
    client: LiveClient,
    signal: AbortSignal,
    filter: (event: StoredEvent) => boolean = () => true,
  ): Promise<void> {
    const member: Member = { queue: [], sent: after, wake: undefined, closed: false, client };
    this.#members.add(member);
    const stop = () => {
      member.closed = true;
      member.wake?.();
    };
    signal.addEventListener('abort', stop, { once: true });
    const catchUp = async () => {
      // Pages until one comes back empty: that reaches at least every position the subscription
      // had delivered when this client joined (those it delivers later are queued for it).
      for (let from = member.sent; !member.closed; ) {
        const page = await this.#store.readAll({ after: from, limit: 500 });
        if (page.events.length === 0 || member.closed) return;
        const shown = page.events.filter(filter);
        if (shown.length > 0) await client.send(shown);
        member.sent = page.last;
        from = page.last;
      }
    };
    try {
      await catchUp();
      // The first client starts the subscription where its pages ended; a client that ended before
      // a later start reads pages again up to it.
      this.#subscribe(member.sent);
      await catchUp();
      while (!member.closed) {
        if (member.queue.length === 0) {
          await new Promise<void>((resolve) => {
            member.wake = resolve;
          });
          member.wake = undefined;
          continue;
        }
        // Everything queued goes out as one write; what the pages already gave is skipped.
        const queued = member.queue;
        member.queue = [];
        const fresh = queued.filter((e) => e.position > member.sent);
        const last = fresh.at(-1);
        if (last === undefined) continue;
        const shown = fresh.filter(filter);
        if (shown.length > 0) await client.send(shown);
        member.sent = last.position;
      }
    } finally {
      signal.removeEventListener('abort', stop);
      this.#members.delete(member);
      if (this.#members.size === 0) await this.#unsubscribe();
    }
  }

  async close(): Promise<void> {
    for (const m of this.#members) {
      m.closed = true;
      m.wake?.();
    }
    await this.#unsubscribe();
  }

  #subscribe(after: bigint): void {
    if (this.#subscription !== undefined) return;
    this.#subscription = this.#store.subscribe({ after, batchSize: 500 }, (event) => {
      for (const m of this.#members) {
        if (m.closed) continue;
        m.queue.push(event);
        if (m.queue.length > this.#maxQueue) {
          m.closed = true;
          m.client.drop(`more than ${this.#maxQueue} events behind`);
        }
        m.wake?.();
      }
    });
    this.#subscription.done.catch(() => {
      // The subscription failed: clients are closed and reconnect with their last position.
      this.#subscription = undefined;
      for (const m of this.#members) {
        m.closed = true;
        m.client.drop('the live subscription stopped');
        m.wake?.();
      }
    });
  }

  async #unsubscribe(): Promise<void> {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    await subscription?.unsubscribe();
  }
}
