import { randomUUID } from 'node:crypto';
import type { Notification, Pool, PoolClient } from 'pg';
import { retry, sleep } from '../../core/retry.js';
import type { AppendNotifier } from '../../core/subscription.js';
import { translate } from './errors.js';
import type { SchemaNames } from './schema.js';
import { listen } from './sql/listen.js';
import { notifyAppended } from './sql/notify.js';

/** The shortest time between two NOTIFYs of one store while appends keep coming (ms). */
const NOTIFY_SPACING_MS = 5;

/** Where the store reports what it cannot throw to a caller (a failed NOTIFY, a lost LISTEN). */
export interface PostgresStoreLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

/**
 * The live part of a PostgreSQL store. Outbound: after each committed append, one NOTIFY on the
 * schema's channel, coalesced: while one is in flight, the next appends share a single follow-up,
 * sent at least NOTIFY_SPACING_MS after the previous one (at idle, every append notifies at once).
 * Inbound: while anyone subscribes, one pooled connection LISTENs and wakes the local subscribers;
 * when that connection is lost it is replaced with backoff, and the subscribers are woken once it
 * is back, so nothing announced during the outage waits for the poll interval.
 */
export class AppendSignals {
  readonly #pool: Pool;
  readonly #names: SchemaNames;
  readonly #notifier: AppendNotifier;
  readonly #logger: PostgresStoreLogger | undefined;
  readonly #listenEnabled: boolean;
  /** Our own notifications carry this id, so the LISTEN echo of a local append is ignored. */
  readonly #id = randomUUID();
  #sending: Promise<void> | undefined;
  #again = false;
  #listeners = 0;
  #listening: { stop: AbortController; done: Promise<void> } | undefined;
  #client: PoolClient | undefined;
  #closed = false;

  constructor(
    pool: Pool,
    names: SchemaNames,
    notifier: AppendNotifier,
    options: { listen: boolean; logger: PostgresStoreLogger | undefined },
  ) {
    this.#pool = pool;
    this.#names = names;
    this.#notifier = notifier;
    this.#logger = options.logger;
    this.#listenEnabled = options.listen;
  }

  /** Whether a LISTEN connection is currently established (for tests and status pages). */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  /** After a committed append: wake local subscribers now, and other processes via NOTIFY. */
  appended(): void {
    this.#notifier.notify();
    if (this.#closed) return;
    if (this.#sending !== undefined) {
      this.#again = true;
      return;
    }
    this.#sending = this.#send();
  }

  async #send(): Promise<void> {
    for (;;) {
      this.#again = false;
      const started = performance.now();
      try {
        await notifyAppended(this.#pool, this.#names.channel, this.#id);
      } catch (error) {
        // Subscribers elsewhere still find the events at their next poll.
        this.#logger?.warn('factum/postgres: NOTIFY after append failed', { error });
      }
      if (!this.#again || this.#closed) break;
      // Under load, appends share notifications: at most one per NOTIFY_SPACING_MS.
      const wait = NOTIFY_SPACING_MS - (performance.now() - started);
      if (wait > 0) await sleep(wait);
    }
    this.#sending = undefined;
  }

  /** A subscription started: LISTEN while at least one runs. */
  retain(): void {
    this.#listeners++;
    if (!this.#listenEnabled || this.#listening !== undefined || this.#closed) return;
    const stop = new AbortController();
    this.#listening = { stop, done: this.#listenLoop(stop.signal) };
  }

  /** A subscription ended. */
  release(): void {
    this.#listeners = Math.max(0, this.#listeners - 1);
    if (this.#listeners === 0) void this.#stopListening();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#stopListening();
    await this.#sending;
  }

  async #stopListening(): Promise<void> {
    const current = this.#listening;
    if (current === undefined) return;
    this.#listening = undefined;
    current.stop.abort();
    await current.done;
  }

  async #listenLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let connection: { client: PoolClient; lost: Promise<Error | undefined> };
      try {
        connection = await retry(() => this.#connect(signal), {
          retries: Number.MAX_SAFE_INTEGER,
          initialDelayMs: 50,
          maxDelayMs: 2000,
          signal,
        });
      } catch (error) {
        if (!signal.aborted) this.#logger?.warn('factum/postgres: LISTEN stopped', { error });
        return;
      }
      const { client, lost } = connection;
      this.#client = client;
      // Whatever was announced while nobody listened: let every subscriber read once.
      this.#notifier.notify();
      const error = await lost;
      this.#client = undefined;
      client.release(error ?? true);
      if (error !== undefined) this.#logger?.warn('factum/postgres: LISTEN connection lost', { error });
    }
  }

  /** A pooled connection that LISTENs, and a promise of the error that ends it (undefined: stopped). */
  async #connect(signal: AbortSignal): Promise<{ client: PoolClient; lost: Promise<Error | undefined> }> {
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw translate(error, `connect to LISTEN on ${this.#names.channel}`);
    }
    // A pooled client that errors while checked out must have a listener, or the process crashes.
    client.on('error', () => {});
    const lost = this.#untilLost(client, signal);
    try {
      await listen(client, this.#names.channel);
    } catch (error) {
      client.release(true);
      throw translate(error, `LISTEN on ${this.#names.channel}`);
    }
    return { client, lost };
  }

  /** Resolves with the error when the connection is lost, or undefined when told to stop. */
  #untilLost(client: PoolClient, signal: AbortSignal): Promise<Error | undefined> {
    return new Promise((resolve) => {
      const onNotification = (message: Notification) => {
        if (message.payload !== this.#id) this.#notifier.notify();
      };
      const finish = (error: Error | undefined) => {
        client.off('notification', onNotification);
        client.off('error', onError);
        client.off('end', onEnd);
        signal.removeEventListener('abort', onAbort);
        resolve(error);
      };
      const onError = (error: Error) => finish(error);
      const onEnd = () => finish(new Error('LISTEN connection ended'));
      const onAbort = () => finish(undefined);
      client.on('notification', onNotification);
      client.on('error', onError);
      client.on('end', onEnd);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
