import type { Pool, PoolClient } from 'pg';
import type { NewEvent, StoredEvent } from '../../core/envelope.js';
import { StoreClosedError } from '../../core/errors.js';
import { concurrencyError } from '../../core/expected-version.js';
import { sleep } from '../../core/retry.js';
import type { SnapshotCapable, SnapshotStore } from '../../core/snapshot.js';
import type {
  AllRead,
  AppendOptions,
  AppendResult,
  CheckedReadAllOptions,
  EventHandler,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  StreamRead,
  SubscribeOptions,
  Subscription,
} from '../../core/store.js';
import { checkReadAllOptions, checkReadStreamOptions } from '../../core/store.js';
import { offerRawDataReads } from '../../core/stored-data.js';
import { AppendNotifier, type SourcePage, SubscriptionSet } from '../../core/subscription.js';
import { appendSpan, tracingHook } from '../../core/tracing.js';
import { assertStreamId, type PreparedAppend, prepareAppend } from '../../core/validation.js';
import { AppendBatcher, settleAppend } from './append-batcher.js';
import { translate, uniqueViolation } from './errors.js';
import { type HeldBackStatus, HeldBackTracker } from './held-back.js';
import { checkPostgresLimits } from './limits.js';
import { PostgresSnapshotStore } from './postgres-snapshots.js';
import type { SchemaNames } from './schema.js';
import { AppendSignals, type PostgresStoreLogger } from './signals.js';
import {
  type AppendOutcome,
  type AppendStatements,
  type AppendWritten,
  appendBatch,
  appendBatchSql,
  appendEvents,
  appendSql,
} from './sql/append.js';
import { appendBatchInTransaction } from './sql/append-in-transaction.js';
import { readAllSql, readLog } from './sql/read-all.js';
import { readStreamEvents, readStreamSql } from './sql/read-stream.js';
import { withTransaction } from './transaction.js';

/** How the store behaves once connected; see PostgresStoreOptions for connection and schema. */
export interface PostgresStoreBehaviour {
  /** How often live subscriptions poll when no notification arrives (ms, default 1,000). */
  pollIntervalMs?: number;
  /**
   * How often they poll instead while committed events are held back by an unfinished transaction,
   * which may end without any notification (ms, default 50).
   */
  heldBackPollIntervalMs?: number;
  /** Wake subscriptions with LISTEN/NOTIFY (default true); false leaves polling only. */
  listen?: boolean;
  /**
   * readAll waits (up to this long, ms, default 10,000) until this store's own last append is
   * visible in the global log, so an append followed by readAll reads it. Never returns events out
   * of order: after the wait it returns what is safe to read. 0 turns the wait off.
   */
  readYourWritesTimeoutMs?: number;
  /**
   * How many append statements run at once (default 2). Appends beyond that queue, and the next free
   * slot writes all queued appends to distinct streams in one statement and one commit (group
   * commit): each keeps its own expected-version check and outcome. 1 serialises appends.
   */
  maxConcurrentAppends?: number;
  /** Receives what cannot be thrown to a caller: a failed NOTIFY, a lost LISTEN connection. */
  logger?: PostgresStoreLogger;
}

/**
 * Code that runs inside append transactions (what inline projections are built on). While any hook
 * is registered, appends run in explicit transactions: `begin`, the events of every append the
 * transaction carries (group commit), then `appended` with them, then the commit.
 */
export interface PostgresAppendHook {
  /** Runs first in every append transaction, before any event is written: take locks here. */
  begin(client: PoolClient): Promise<void>;
  /**
   * Runs once the transaction's events are written, before it commits: `appends` holds each append's
   * stored events, in order. Throwing rolls the transaction back; each of its appends is then tried
   * again in a transaction of its own, so the append the hook refuses fails (with what was thrown)
   * and the others are written.
   */
  appended(appends: readonly (readonly StoredEvent[])[], client: PoolClient): Promise<void>;
}

/**
 * Two statements in flight keep one executing while the other waits for its commit to reach disk;
 * with more writers, each statement carries more appends. Measured on two cores with 16 writers:
 * database CPU per single-event append falls from ~95 µs (no grouping) to ~35 µs at 2.
 */
const DEFAULT_CONCURRENT_APPENDS = 2;

/** Re-running an append whose insert raced another one (unique violation) is bounded. */
const MAX_APPEND_ATTEMPTS = 20;
const VERSION_CONSTRAINT = 'factum_events_stream_version_key';
const EVENT_ID_CONSTRAINT = 'factum_events_event_id_key';

export class PostgresEventStore implements EventStore, SnapshotCapable {
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #names: SchemaNames;
  readonly #notifier = new AppendNotifier();
  readonly #signals: AppendSignals;
  readonly #heldBack = new HeldBackTracker();
  readonly #batcher: AppendBatcher;
  readonly #subscriptions = new SubscriptionSet();
  readonly #hooks = new Set<PostgresAppendHook>();
  readonly #closeHooks = new Set<() => Promise<void>>();
  readonly #sql: {
    append: AppendStatements;
    batch: { plain: string; checked: string };
    batchEvents: { plain: string; checked: string };
    readAll: string;
    forward: string;
    backward: string;
  };
  readonly #pollIntervalMs: number;
  readonly #heldBackPollIntervalMs: number;
  readonly #readYourWritesTimeoutMs: number;
  readonly #migrates: boolean;
  /** The highest position this store has appended (and seen committed). */
  #lastAppended = 0n;
  #snapshots: PostgresSnapshotStore | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Use createPostgresStore(); the constructor does not check the schema. */
  constructor(
    pool: Pool,
    ownsPool: boolean,
    names: SchemaNames,
    options: PostgresStoreBehaviour & { migrate?: boolean } = {},
  ) {
    this.#pool = pool;
    this.#migrates = options.migrate === true;
    this.#ownsPool = ownsPool;
    this.#names = names;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#heldBackPollIntervalMs = options.heldBackPollIntervalMs ?? 50;
    this.#readYourWritesTimeoutMs = options.readYourWritesTimeoutMs ?? 10_000;
    this.#batcher = new AppendBatcher(
      {
        single: (append) => this.#appendAlone(append),
        batch: (appends) => this.#appendBatch(appends),
        replayable: (error) => uniqueViolation(error) !== undefined,
        written: (written) => this.#written(written),
      },
      options.maxConcurrentAppends ?? DEFAULT_CONCURRENT_APPENDS,
    );
    // LISTEN holds one pooled connection for as long as anyone subscribes: never the pool's only one.
    const poolMax = (pool as { options?: { max?: unknown } }).options?.max;
    const tooSmall = typeof poolMax === 'number' && poolMax < 2;
    if (tooSmall && options.listen !== false) {
      options.logger?.warn(
        'factum/postgres: the pool has a single connection; subscriptions poll instead of LISTEN',
      );
    }
    this.#signals = new AppendSignals(pool, names, this.#notifier, {
      listen: (options.listen ?? true) && !tooSmall,
      logger: options.logger,
    });
    // The event-log relay's reads: events that keep their stored data JSON, sent on as the broker's
    // body (core/stored-data.ts). Not for a subclass, which may change readAll or subscribe.
    if (new.target === PostgresEventStore) {
      offerRawDataReads(this, {
        readAll: (o) => this.#readAllWith(o, true),
        subscribe: (o, handler) => this.#subscribeWith(o, handler, true),
      });
    }
    this.#sql = {
      append: appendSql(names),
      batch: { plain: appendBatchSql(names, 'heads', false), checked: appendBatchSql(names) },
      batchEvents: {
        plain: appendBatchSql(names, 'events', false),
        checked: appendBatchSql(names, 'events'),
      },
      readAll: readAllSql(names),
      forward: readStreamSql(names, 'forward'),
      backward: readStreamSql(names, 'backward'),
    };
  }

  /** The pool this store uses, for projections and tooling that share the database. */
  get pool(): Pool {
    return this.#pool;
  }

  /** Snapshots of deciders' state in the factum_snapshots table (a cache: deleting rows changes no result). */
  get snapshots(): SnapshotStore {
    this.#snapshots ??= new PostgresSnapshotStore(this.#pool, this.#names, (operation) =>
      this.#assertOpen(operation),
    );
    return this.#snapshots;
  }

  /** Whether close() was called: the store takes no more work, and neither should code sharing its pool. */
  get closed(): boolean {
    return this.#closed || this.#closing !== undefined;
  }

  /**
   * Whether the store was opened with `migrate: true`. The areas used with it (projections,
   * messaging…) then apply their pending migrations at their first use; otherwise they refuse with
   * MigrationRequiredError, naming `factum migrate`.
   */
  get migrates(): boolean {
    return this.#migrates;
  }

  /** The PostgreSQL schema holding this store's tables. */
  get schema(): string {
    return this.#names.schema;
  }

  /** Whether live subscriptions currently have a LISTEN connection (false while reconnecting). */
  get listening(): boolean {
    return this.#signals.listening;
  }

  /**
   * Gap safety, as the store's last read of the global log saw it: how long committed events have
   * been held back behind a transaction that has not finished. Read it as a gauge; it is updated by
   * every readAll and every subscription poll.
   */
  heldBack(): HeldBackStatus {
    return this.#heldBack.status();
  }

  /**
   * Runs `hook` in every later append's transaction (see PostgresAppendHook). Returns a function that
   * removes it.
   */
  addAppendHook(hook: PostgresAppendHook): () => void {
    this.#hooks.add(hook);
    return () => {
      this.#hooks.delete(hook);
    };
  }

  /**
   * Runs `hook` when the store closes, after the last append and before the pool ends (give back
   * connections held for longer than a query, such as session locks). Returns a function that removes it.
   */
  onClose(hook: () => Promise<void>): () => void {
    this.#closeHooks.add(hook);
    return () => {
      this.#closeHooks.delete(hook);
    };
  }

  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    if (tracingHook === undefined) return this.#append(streamId, events, options);
    return tracingHook.inSpan(appendSpan('postgresql', streamId, events), () =>
      this.#append(streamId, events, options),
    );
  }

  async #append(
    streamId: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    this.#assertOpen('append');
    const append = prepareAppend(streamId, events, options);
    checkPostgresLimits(append);
    return this.#batcher.submit(append);
  }

  /** One append in its own statement, which also says why when it refuses the append. */
  async #appendAlone(append: PreparedAppend): Promise<AppendResult> {
    let race: unknown;
    for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
      let outcome: AppendOutcome | undefined;
      try {
        outcome =
          this.#hooks.size === 0
            ? await appendEvents(this.#pool, this.#names, this.#sql.append, append)
            : (await this.#appendWithHooks([append]))[0];
      } catch (error) {
        const constraint = uniqueViolation(error);
        if (constraint !== VERSION_CONSTRAINT && constraint !== EVENT_ID_CONSTRAINT) {
          throw translate(error, `append to ${append.streamId}`);
        }
        // Another append took this version or stored one of these ids after our snapshot; run
        // again and the statement sees it.
        race = error;
        continue;
      }
      // Throws ConcurrencyError or DuplicateEventIdError when the outcome says so.
      const result = outcome === undefined ? undefined : settleAppend(append, outcome);
      if (result !== undefined) {
        if (outcome?.written) this.#written(outcome);
        return result;
      }
    }
    throw concurrencyError(append.streamId, append.expectedVersion, await this.#head(append.streamId), {
      cause: race,
    });
  }

  #written(written: AppendWritten): void {
    if (written.position > this.#lastAppended) this.#lastAppended = written.position;
    this.#signals.appended();
  }

  async #appendBatch(appends: readonly PreparedAppend[]): Promise<(AppendOutcome | undefined)[]> {
    try {
      if (this.#hooks.size > 0) return await this.#appendWithHooks(appends);
      return await appendBatch(this.#pool, this.#names, this.#sql.batch, appends);
    } catch (error) {
      if (uniqueViolation(error) !== undefined) throw error;
      throw translate(error, `append to ${appends.map((a) => a.streamId).join(', ')}`);
    }
  }

  /**
   * Appends in one explicit transaction that runs the hooks: one statement writes the events of
   * every append, the hooks run once with all of them, one commit. Alone, whatever fails (a unique
   * violation, a hook) is thrown. Several: a hook that throws rolls everything back and every append
   * is left without an outcome, so the single path tries each again alone and only the append the
   * hook refuses fails.
   */
  async #appendWithHooks(appends: readonly PreparedAppend[]): Promise<(AppendOutcome | undefined)[]> {
    const hooks = [...this.#hooks];
    const alone = appends.length === 1;
    return withTransaction(this.#pool, 'append', async (client, control) => {
      for (const hook of hooks) await hook.begin(client);
      const { outcomes, events } = await appendBatchInTransaction(
        client,
        this.#names,
        this.#sql.batchEvents,
        appends,
      );
      if (events.length > 0) {
        try {
          for (const hook of hooks) await hook.appended(events, client);
        } catch (error) {
          if (alone) throw error;
          control.rollbackOnly();
          return appends.map(() => undefined);
        }
      }
      return outcomes;
    });
  }

  /** The stream's version now (after an append lost every race it ran). */
  async #head(streamId: string): Promise<number> {
    try {
      const read = await readStreamEvents(this.#pool, this.#names, this.#sql.backward, streamId, {
        fromVersion: undefined,
        toVersion: undefined,
        until: undefined,
        direction: 'backward',
        limit: 0,
      });
      return read.version;
    } catch (error) {
      throw translate(error, `append to ${streamId}`);
    }
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StreamRead> {
    this.#assertOpen('readStream');
    assertStreamId(streamId);
    const o = checkReadStreamOptions(options);
    try {
      return await readStreamEvents(
        this.#pool,
        this.#names,
        o.direction === 'backward' ? this.#sql.backward : this.#sql.forward,
        streamId,
        {
          fromVersion: o.fromVersion,
          toVersion: o.toVersion,
          until: o.until,
          direction: o.direction,
          limit: o.limit,
        },
      );
    } catch (error) {
      throw translate(error, `read stream ${streamId}`);
    }
  }

  readAll(options?: ReadAllOptions): Promise<AllRead> {
    return this.#readAllWith(options, false);
  }

  async #readAllWith(options: ReadAllOptions | undefined, storedData: boolean): Promise<AllRead> {
    this.#assertOpen('readAll');
    const o = checkReadAllOptions(options);
    const deadline = Date.now() + this.#readYourWritesTimeoutMs;
    let delayMs = 1;
    for (;;) {
      const page = await this.#readPage(o, storedData);
      const own = this.#lastAppended;
      // Done unless this store's own last append is committed but still behind the horizon.
      if (
        page.horizon > own ||
        own <= o.after ||
        page.events.length === o.limit ||
        Date.now() >= deadline ||
        this.#closed
      ) {
        return { events: page.events, last: page.last };
      }
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 50);
    }
  }

  async #readPage(o: CheckedReadAllOptions, storedData: boolean): Promise<SourcePage & { horizon: bigint }> {
    let page: Awaited<ReturnType<typeof readLog>>;
    try {
      page = await readLog(
        this.#pool,
        this.#names,
        this.#sql.readAll,
        o.after,
        o.limit,
        o.types,
        o.categories,
        storedData,
      );
    } catch (error) {
      throw translate(error, 'read all');
    }
    this.#heldBack.observe(page.horizon, page.heldBack);
    return {
      events: page.events,
      last: page.events.at(-1)?.position ?? o.after,
      heldBack: page.heldBack,
      horizon: page.horizon,
    };
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    return this.#subscribeWith(options, handler, false);
  }

  #subscribeWith(options: SubscribeOptions, handler: EventHandler, storedData: boolean): Subscription {
    this.#assertOpen('subscribe');
    checkReadAllOptions({ after: options.after, types: options.types, categories: options.categories });
    const subscription = this.#subscriptions.start(
      {
        readAll: (o) => this.#readPage(checkReadAllOptions(o), storedData),
        notifier: this.#notifier,
        pollIntervalMs: this.#pollIntervalMs,
        heldBackPollIntervalMs: this.#heldBackPollIntervalMs,
      },
      options,
      handler,
    );
    // LISTEN only while someone subscribes.
    this.#signals.retain();
    const release = () => this.#signals.release();
    subscription.done.then(release, release);
    return subscription;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#subscriptions.stopAll();
    // Appends already accepted finish (and notify) before the pool goes away.
    await this.#batcher.drain();
    this.#closed = true;
    await Promise.allSettled([...this.#closeHooks].map((hook) => hook()));
    await this.#signals.close();
    if (this.#ownsPool) await this.#pool.end();
  }

  #assertOpen(operation: string): void {
    if (this.#closed || this.#closing !== undefined) throw new StoreClosedError(operation);
  }
}
