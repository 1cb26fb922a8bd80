import { randomUUID } from 'node:crypto';
import { Emitter } from '../core/emitter.js';
import { ErrorCodes, type FactumError, isRetriable, ValidationError } from '../core/errors.js';
import { type RetryOptions, retry } from '../core/retry.js';
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
import type { LeaseStore, RelayBatch, RelaySource } from './storage.js';

export interface RelayOptions {
  source: RelaySource;
  broker: Broker;
  /** Leases that keep a second relay of the same source name waiting (one relay per checkpoint). */
  leases: LeaseStore;
  /** Events per broker publish (default 500). */
  batchSize?: number;
  /** How long to wait for new events when caught up, unless woken earlier (ms, default 100). */
  idleMs?: number;
  /** Lease time-to-live: a dead relay's lease is taken over after this (ms, default 10,000). */
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
 * Starts a relay: takes the source's lease (waiting while another relay holds it), then repeatedly
 * reads the next batch, publishes it (the broker keys by streamId and confirms every event), and only
 * then commits the batch (saves the checkpoint / marks outbox rows published). A crash between
 * publish and commit publishes the batch again after restart: at-least-once, in order per stream.
 */
export function startRelay(options: RelayOptions): Relay {
  const { source, broker, leases } = options;
  const batchSize = options.batchSize ?? 500;
  const idleMs = options.idleMs ?? 100;
  const ttl = options.leaseTtlMs ?? 10_000;
  const owner = options.owner ?? `relay-${randomUUID()}`;
  const emitter = new Emitter<RelayEvents>();
  const abort = new AbortController();
  const retention = relayRetention(options);
  const status: RelayStatus = {
    state: 'waiting-for-lease',
    published: 0,
    lastPosition: undefined,
    pruned: 0,
  };
  // A wake-up that arrives while the relay is reading (not yet idle) must not be lost: remember it.
  let woken = false;
  let wake: (() => void) | undefined;
  const unwatch = source.watch?.(() => {
    woken = true;
    wake?.();
  });

  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || abort.signal.aborted) {
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      }
      wake = done;
      abort.signal.addEventListener('abort', done, { once: true });
    });

  const withRetry = <T>(fn: () => Promise<T>) =>
    retry(fn, {
      initialDelayMs: 100,
      maxDelayMs: 5000,
      ...options.retry,
      retries: Number.MAX_SAFE_INTEGER,
      signal: abort.signal,
      isRetriable: (error) => {
        if (!isRetriable(error)) return false;
        emitter.emit('relay.retry', { name: source.name, error: error as FactumError });
        return true;
      },
    });

  let leasedAt = 0;
  const holdLease = async (): Promise<boolean> => {
    const now = Date.now();
    if (status.state === 'running' && now - leasedAt < ttl / 3) return true;
    const held = await withRetry(() => leases.tryAcquire(source.name, owner, ttl));
    if (held) {
      leasedAt = now;
      if (status.state !== 'running') {
        source.reset?.();
        status.state = 'running';
        emitter.emit('relay.leased', { name: source.name, owner });
      }
      return true;
    }
    if (status.state === 'running') {
      // Someone took the lease over while this relay stalled: stop publishing, wait like a standby.
      status.state = 'waiting-for-lease';
      source.reset?.();
    }
    return false;
  };

  // The next batch is read while the current one waits for the broker's confirms; publishes and
  // commits stay strictly sequential, so per-stream order and checkpoint order hold.
  let prefetched: Promise<RelayBatch> | undefined;
  // `woken` tells whether anything was appended since the latest read started.
  const read = () => {
    woken = false;
    const batch = withRetry(() => source.next(batchSize));
    batch.catch(() => {});
    return batch;
  };
  const nextBatch = () => {
    const batch = prefetched ?? read();
    prefetched = undefined;
    return batch;
  };
  // A batch read ahead and never published is given back (an outbox claim holds row locks).
  const dropPrefetch = async () => {
    const pending = prefetched;
    prefetched = undefined;
    const batch = await pending?.catch(() => undefined);
    await batch?.release?.().catch(() => {});
    source.reset?.();
  };

  const run = async () => {
    while (!abort.signal.aborted) {
      if (!(await holdLease())) {
        await dropPrefetch();
        await idle(Math.max(50, ttl / 3));
        continue;
      }
      const batch = await nextBatch();
      if (batch.events.length === 0) {
        await batch.commit();
        await idle(idleMs);
        continue;
      }
      const publishing = withRetry(() => broker.publish(batch.events, { signal: abort.signal }));
      prefetched = read();
      try {
        await publishing;
      } catch (error) {
        await batch.release?.();
        await dropPrefetch();
        throw error;
      }
      const lastPosition = batch.events.at(-1)!.position;
      emitter.emit('relay.published', { name: source.name, count: batch.events.length, lastPosition });
      await withRetry(() => batch.commit());
      status.published += batch.events.length;
      status.lastPosition = lastPosition;
      emitter.emit('relay.committed', { name: source.name, count: batch.events.length, lastPosition });
    }
  };

  // Retention runs beside publishing (one short transaction per batch), only while the lease is held.
  const pruning =
    retention === undefined || source.prune === undefined
      ? Promise.resolve()
      : runInBackground(
          {
            prune: (signal) => source.prune!({ ...retention.prune, signal }),
            everyMs: retention.everyMs,
            active: () => status.state === 'running',
            onPruned: (deleted) => {
              status.pruned += deleted;
              emitter.emit('relay.pruned', { name: source.name, deleted });
            },
            onError: (error) => emitter.emit('relay.prune-failed', { name: source.name, error }),
          },
          abort.signal,
        );

  const done = run()
    .catch((error: unknown) => {
      if (abort.signal.aborted) return;
      status.state = 'failed';
      status.error = error instanceof Error ? error : new Error(String(error));
      throw status.error;
    })
    .finally(async () => {
      abort.abort();
      await pruning;
      unwatch?.();
      await dropPrefetch();
      if (status.state !== 'failed') status.state = 'stopped';
      await leases.release(source.name, owner).catch(() => {});
    });
  done.catch(() => {});

  return {
    name: source.name,
    done,
    status: () => ({ ...status }),
    on: (event, listener) => emitter.on(event, listener),
    async stop() {
      abort.abort();
      await done.catch(() => {});
    },
  };
}

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
