import { randomUUID } from 'node:crypto';
import { Emitter } from '../core/emitter.js';
import { ErrorCodes, type FactumError, isFactumError, isRetriable, ValidationError } from '../core/errors.js';
import { type RetryOptions, retry } from '../core/retry.js';
import { tracingHook } from '../core/tracing.js';
import {
  acquireLease,
  type CheckedLeaseOptions,
  checkLeaseOptions,
  follow,
  type HeldLease,
  type HoldingEnd,
  holdLease,
  type LeaseOptions,
} from '../follow/index.js';
import { assertStrategyAvailable, pause } from '../follow/kit.js';
import type { Broker } from './broker.js';
import {
  checkAge,
  checkEvery,
  DEFAULT_OUTBOX_RETENTION_MS,
  DEFAULT_PRUNE_BATCH_SIZE,
  DEFAULT_RETENTION_EVERY_MS,
  resolvePrune,
  runInBackground,
} from './retention.js';
import { type RelayPage, type RelaySource, relayLeaseName } from './storage.js';
import { sendSpan } from './tracing.js';

export interface RelayOptions {
  /** What to publish (the event log, an outbox); it also says where the relay's lease lives. */
  source: RelaySource;
  broker: Broker;
  /** Events per broker publish (default 500). */
  batchSize?: number;
  /** Outbox sources: how long to wait for new rows when caught up (ms, default 100). */
  idleMs?: number;
  /**
   * One relay per source name: the follow kit's lease ('advisory' on PostgreSQL by default, else
   * 'row'; ttl 10,000 ms by default). A relay whose lease was taken over cannot commit: it stops
   * publishing and waits like a standby.
   */
  lease?: LeaseOptions;
  /** Lease time-to-live: a dead relay's lease is taken over after this (ms, default 10,000); same as lease.ttlMs. */
  leaseTtlMs?: number;
  /** Backoff for publishes the broker did not confirm and storage hiccups; retried until stopped. */
  retry?: Omit<RetryOptions, 'signal' | 'isRetriable' | 'retries'>;
  /** Names this relay in the lease table (default: a random id). */
  owner?: string;
  /**
   * Background retention of sources that can prune (the outbox tables): while this relay holds the
   * lease, it deletes rows published more than `publishedMs` ago, at start and then every `everyMs`.
   * On by default for such sources (7 days, every hour); `false` turns it off. The event log cannot
   * be pruned (events are never deleted): asking for retention there is refused.
   */
  retention?: false | RelayRetentionOptions;
}

export interface RelayRetentionOptions {
  /** Keep published rows this long (ms, default 7 days). */
  publishedMs?: number;
  /** Run this often (ms, default 1 hour). */
  everyMs?: number;
  /** Rows looked at per transaction (default 1,000). */
  batchSize?: number;
}

export interface RelayEvents {
  'relay.leased': { name: string; owner: string };
  /** Another relay took the lease over: this one's commit was refused (or its renewal), it stopped publishing. */
  'relay.lease-lost': { name: string; owner: string; error?: Error };
  /** The broker confirmed a batch; its checkpoint is saved next. */
  'relay.published': { name: string; count: number; lastPosition: bigint };
  'relay.committed': { name: string; count: number; lastPosition: bigint };
  'relay.retry': { name: string; error: Error };
  /** Background retention deleted `deleted` published rows (emitted after every run, 0 included). */
  'relay.pruned': { name: string; deleted: number };
  /** A background prune failed; the relay keeps publishing and retention runs again `everyMs` later. */
  'relay.prune-failed': { name: string; error: Error };
}

export interface RelayStatus {
  state: 'waiting-for-lease' | 'running' | 'stopped' | 'failed';
  /** Events published (and committed) by this relay since it started. */
  published: number;
  lastPosition: bigint | undefined;
  error?: Error;
  /** Rows deleted by background retention since the relay started. */
  pruned: number;
}

export interface Relay {
  /** The source's name: the checkpoint and lease this relay works under. */
  readonly name: string;
  /** Resolves when the relay stops; rejects with the error that stopped it. */
  readonly done: Promise<void>;
  status(): RelayStatus;
  on<K extends keyof RelayEvents>(event: K, listener: (payload: RelayEvents[K]) => void): () => void;
  /** Finishes the batch in flight, releases the lease and resolves. */
  stop(): Promise<void>;
}

/**
 * Starts a relay: takes the source's lease (waiting while another relay holds it), then follows the
 * source from where the last holder stopped (the follow kit: catch-up pages, then live), publishes
 * each page (the broker keys by streamId and confirms every event), and only then commits it (saves
 * the checkpoint / marks outbox rows published) under the lease's fencing check. The next page is
 * read while the current one waits for the broker's confirms; publishes and commits stay strictly
 * sequential, so per-stream order and checkpoint order hold. A crash between publish and commit
 * publishes the page again after restart: at-least-once, in order per stream.
 */
export function startRelay(options: RelayOptions): Relay {
  return new RunningRelay(options);
}

/** One started relay: competes for the lease, publishes while it holds it, prunes beside. */
class RunningRelay implements Relay {
  readonly name: string;
  readonly done: Promise<void>;
  readonly #options: RelayOptions;
  readonly #source: RelaySource;
  readonly #owner: string;
  readonly #lease: CheckedLeaseOptions;
  readonly #emitter = new Emitter<RelayEvents>();
  readonly #abort = new AbortController();
  readonly #status: RelayStatus = {
    state: 'waiting-for-lease',
    published: 0,
    lastPosition: undefined,
    pruned: 0,
  };

  constructor(options: RelayOptions) {
    this.#options = options;
    this.#source = options.source;
    this.name = options.source.name;
    this.#owner = options.owner ?? `relay-${randomUUID()}`;
    this.#lease = checkLeaseOptions(
      { ...options.lease, ...(options.leaseTtlMs === undefined ? {} : { ttlMs: options.leaseTtlMs }) },
      10_000,
    );
    assertStrategyAvailable(this.#source.storage, this.#lease);
    const pruning = this.#pruneInBackground(relayRetention(options));
    this.done = this.#run()
      .catch((error: unknown) => {
        if (this.#abort.signal.aborted) return;
        this.#status.state = 'failed';
        this.#status.error = error instanceof Error ? error : new Error(String(error));
        throw this.#status.error;
      })
      .finally(async () => {
        this.#abort.abort();
        await pruning;
        if (this.#status.state !== 'failed') this.#status.state = 'stopped';
      });
    this.done.catch(() => {});
  }

  status(): RelayStatus {
    return { ...this.#status };
  }

  on<K extends keyof RelayEvents>(event: K, listener: (payload: RelayEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.done.catch(() => {});
  }

  /** Waits for the lease (a standby), then publishes while holding it; again after losing it. */
  async #run(): Promise<void> {
    const leaseName = relayLeaseName(this.name);
    while (!this.#abort.signal.aborted) {
      const held = await this.#withRetry(() =>
        acquireLease(this.#source.storage, leaseName, this.#owner, this.#lease),
      );
      if (held === undefined) {
        this.#status.state = 'waiting-for-lease';
        await pause(this.#lease.acquireEveryMs, this.#abort.signal);
        continue;
      }
      if ((await this.#holdAndPublish(held)) === 'closed') return;
    }
  }

  /** Follows the source from where the last holder stopped, for as long as the lease is held. */
  async #holdAndPublish(held: HeldLease): Promise<HoldingEnd> {
    const source = this.#source;
    source.reset?.();
    this.#status.state = 'running';
    this.#emitter.emit('relay.leased', { name: this.name, owner: this.#owner });
    let lostWith: Error | undefined;
    let end: HoldingEnd;
    try {
      end = await holdLease(held, this.#lease, this.#abort.signal, async (signal) => {
        try {
          await follow({
            source: source.pages,
            after: await this.#withRetry(() => source.start()),
            pageSize: this.#options.batchSize ?? 500,
            pollMs: this.#options.idleMs ?? 100,
            prefetch: true,
            // Reads start a turn later: a page read ahead is read once the page in hand is on its way
            // to the broker, so the store's read overlaps the wait for confirms instead of delaying it.
            retry: (read) => nextTurn().then(() => this.#withRetry(read)),
            signal,
            onPage: (page) => this.#publishAndCommit(page, held),
          });
        } catch (error) {
          if (isFactumError(error, ErrorCodes.LEASE_LOST)) lostWith = error as Error;
          throw error;
        }
      });
    } finally {
      if (this.#status.state === 'running') this.#status.state = 'waiting-for-lease';
      // Claims read ahead and not committed are given back (their rows come again).
      source.reset?.();
    }
    if (end === 'lost') {
      this.#emitter.emit('relay.lease-lost', {
        name: this.name,
        owner: this.#owner,
        ...(lostWith === undefined ? {} : { error: lostWith }),
      });
    }
    return end;
  }

  /** Publishes one page (waiting for the broker's confirms), then commits it under the lease. */
  async #publishAndCommit(page: RelayPage, held: HeldLease): Promise<void> {
    const { broker } = this.#options;
    const signal = this.#abort.signal;
    try {
      await this.#withRetry(() =>
        tracingHook === undefined
          ? broker.publish(page.events, { signal })
          : tracingHook.inSpan(sendSpan(broker, page.events), () => broker.publish(page.events, { signal })),
      );
    } catch (error) {
      await page.release?.().catch(() => {});
      throw error;
    }
    const lastPosition = page.events.at(-1)!.position;
    const count = page.events.length;
    this.#emitter.emit('relay.published', { name: this.name, count, lastPosition });
    // A page the broker confirmed is committed even when stop() was called meanwhile (once; retried
    // only while the relay runs), so a graceful stop does not publish it again.
    try {
      await this.#source.commit(page, held);
    } catch (error) {
      if (signal.aborted) throw error;
      await this.#withRetry(() => this.#source.commit(page, held));
    }
    this.#status.published += count;
    this.#status.lastPosition = lastPosition;
    this.#emitter.emit('relay.committed', { name: this.name, count, lastPosition });
  }

  /** Retries what the broker or the storage did not confirm, until the relay stops. */
  #withRetry<T>(fn: () => Promise<T>): Promise<T> {
    return retry(fn, {
      initialDelayMs: 100,
      maxDelayMs: 5000,
      ...this.#options.retry,
      retries: Number.MAX_SAFE_INTEGER,
      signal: this.#abort.signal,
      isRetriable: (error) => {
        // A lost lease is for the next holding to retry, not this one.
        if (!isRetriable(error) || isFactumError(error, ErrorCodes.LEASE_LOST)) return false;
        this.#emitter.emit('relay.retry', { name: this.name, error: error as FactumError });
        return true;
      },
    });
  }

  /** Retention beside publishing (one short transaction per batch), only while the lease is held. */
  #pruneInBackground(retention: ReturnType<typeof relayRetention>): Promise<void> {
    const source = this.#source;
    if (retention === undefined || source.prune === undefined) return Promise.resolve();
    return runInBackground(
      {
        prune: (signal) => source.prune!({ ...retention.prune, signal }),
        everyMs: retention.everyMs,
        active: () => this.#status.state === 'running',
        onPruned: (deleted) => {
          this.#status.pruned += deleted;
          this.#emitter.emit('relay.pruned', { name: this.name, deleted });
        },
        onError: (error) => this.#emitter.emit('relay.prune-failed', { name: this.name, error }),
      },
      this.#abort.signal,
    );
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The relay's retention settings: undefined when off; refused for a source that cannot prune. */
function relayRetention(
  options: RelayOptions,
): { prune: { olderThan: number; batchSize: number }; everyMs: number } | undefined {
  const given = options.retention;
  if (given === false) return undefined;
  if (options.source.prune === undefined) {
    if (given === undefined) return undefined;
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'retention',
      `retention needs a source that can prune (an outbox); ${options.source.name} cannot (events are never deleted)`,
    );
  }
  const publishedMs = checkAge('retention.publishedMs', given?.publishedMs ?? DEFAULT_OUTBOX_RETENTION_MS);
  const everyMs = checkEvery('retention.everyMs', given?.everyMs ?? DEFAULT_RETENTION_EVERY_MS);
  const { batchSize } = resolvePrune({
    olderThan: publishedMs,
    batchSize: given?.batchSize ?? DEFAULT_PRUNE_BATCH_SIZE,
  });
  return { prune: { olderThan: publishedMs, batchSize }, everyMs };
}
