import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { NewEvent, StoredEvent } from '../../core/envelope.js';
import { NestedTransactionError, StoreClosedError } from '../../core/errors.js';
import { checkAppend, type StoredIdRecord } from '../../core/idempotency.js';
import type { SnapshotCapable, SnapshotStore } from '../../core/snapshot.js';
import type {
  AllRead,
  AppendOptions,
  AppendResult,
  EventHandler,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  StreamRead,
  SubscribeOptions,
  Subscription,
} from '../../core/store.js';
import { type CheckedReadAllOptions, checkReadAllOptions, checkReadStreamOptions } from '../../core/store.js';
import { offerRawDataReads } from '../../core/stored-data.js';
import { AppendNotifier, SubscriptionSet } from '../../core/subscription.js';
import { appendSpan, tracingHook } from '../../core/tracing.js';
import { TransactionGate } from '../../core/transaction-gate.js';
import { assertStreamId, type PreparedAppend, prepareAppend } from '../../core/validation.js';
import { translate } from './errors.js';
import { markMigrated } from './migrated-areas.js';
import { applyMigrations, onOpen } from './migrations/index.js';
import type { EventRow } from './sql/event-row.js';
import { toEventWithStoredData, toStoredEvent } from './sql/event-row.js';
import { findEventIds } from './sql/find-event-ids.js';
import { insertEventsStatement, MAX_ROWS_PER_INSERT } from './sql/insert-event.js';
import { readAllRows } from './sql/read-all.js';
import { readStreamRows } from './sql/read-stream.js';
import { prepareStreamVersion } from './sql/stream-version.js';
import { SqliteSnapshotStore } from './sqlite-snapshots.js';
import { storedEvents } from './stored-events.js';

export interface SqliteStoreOptions {
  /**
   * 'FULL' (default): an acknowledged append survives power loss. 'NORMAL': faster; in WAL mode an
   * acknowledged append survives a crash of the process but the last appends may be lost on power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another process's write lock before failing (ms, default 5,000). */
  busyTimeoutMs?: number;
  /** How often live subscriptions look for appends made by other processes (ms, default 250). */
  pollIntervalMs?: number;
  /**
   * Apply pending migrations when the store opens, those of every area loaded, and those of an area
   * loaded later at its first use (default true). false: the store applies nothing, and an area
   * whose migrations are missing refuses its first use with MigrationRequiredError.
   */
  migrate?: boolean;
  /** A clock for timestamps (tests of temporal reads). */
  now?: () => Date;
}

type BetterSqlite3 = typeof Database;

/** What an append without caller-given ids finds of them: nothing (no lookup). */
const NO_IDS: ReadonlyMap<string, StoredIdRecord> = new Map();

export interface SqliteTransactionOptions {
  /**
   * false: commit without waiting for the disk (synchronous=NORMAL for this transaction): still atomic,
   * but the last such commits may be lost on power loss. For rows derived from the log (projections,
   * their checkpoints), which a restart rebuilds from the durable events. Default true.
   */
  durable?: boolean;
}

/**
 * Runs inside an append's transaction, after its events are inserted and before the commit (inline
 * projections use it). `events` are the stored events of this append; a throw rolls the whole append
 * back and the append rejects with that error. Not called for an idempotent retry that writes nothing.
 */
export type SqliteAppendHook = (
  events: readonly StoredEvent[],
  db: Database.Database,
) => void | Promise<void>;

/** Opens (creating if needed) a SQLite event store in one database file, or ':memory:'. */
export function createSqliteStoreWith(
  Driver: BetterSqlite3,
  filename: string,
  options: SqliteStoreOptions = {},
): SqliteEventStore {
  if (filename !== ':memory:' && filename !== '') mkdirSync(dirname(filename), { recursive: true });
  const db = new Driver(filename);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (options.migrate !== false) markMigrated(db, applyMigrations(db, onOpen()).areas);
  } catch (error) {
    db.close();
    throw translate(error, `open ${filename}`);
  }
  return new SqliteEventStore(db, options);
}

export class SqliteEventStore implements EventStore, SnapshotCapable {
  readonly #db: Database.Database;
  readonly #notifier = new AppendNotifier();
  readonly #subscriptions = new SubscriptionSet();
  readonly #readCache = new Map<string, Database.Statement<unknown[], EventRow>>();
  readonly #streamVersion;
  readonly #insertCache = new Map<number, Database.Statement<unknown[]>>();
  readonly #appendTx;
  readonly #readStreamTx;
  readonly #now: () => Date;
  readonly #pollIntervalMs: number;
  readonly #gate = new TransactionGate();
  readonly #appendHooks = new Set<SqliteAppendHook>();
  readonly #durable: boolean;
  readonly #migrates: boolean;
  readonly #relaxed;
  readonly #strict;
  readonly #begin;
  readonly #commit;
  readonly #rollback;
  /** Set by #appendInTransaction when it inserted rows (not for an idempotent retry): their recorded_at. */
  #lastRecordedAt: number | undefined;
  #snapshots: SqliteSnapshotStore | undefined;
  #closed = false;

  constructor(db: Database.Database, options: SqliteStoreOptions) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.#pollIntervalMs = options.pollIntervalMs ?? 250;
    this.#streamVersion = prepareStreamVersion(db);
    this.#appendTx = db.transaction((append: PreparedAppend) => this.#appendInTransaction(append)).immediate;
    this.#readStreamTx = db.transaction((streamId: string, options: ReadStreamOptions | undefined) =>
      this.#readStreamInTransaction(streamId, options),
    ).deferred;
    this.#durable = options.synchronous !== 'NORMAL';
    this.#migrates = options.migrate !== false;
    this.#relaxed = db.prepare('PRAGMA synchronous = NORMAL');
    this.#strict = db.prepare('PRAGMA synchronous = FULL');
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    // The event-log relay's reads: events that keep their stored data JSON, sent on as the broker's
    // body (core/stored-data.ts). Not for a subclass, which may change readAll or subscribe.
    if (new.target === SqliteEventStore) {
      offerRawDataReads(this, {
        readAll: (o) => this.#readAllWith(o, toEventWithStoredData),
        subscribe: (o, handler) => this.#subscribeWith(o, handler, toEventWithStoredData),
      });
    }
  }

  /** Snapshots of deciders' state in the factum_snapshots table (a cache: deleting rows changes no result). */
  get snapshots(): SnapshotStore {
    this.#snapshots ??= new SqliteSnapshotStore(this.#db, (operation, run) => {
      this.#assertOpen(operation);
      try {
        return run();
      } catch (error) {
        throw translate(error, operation);
      }
    });
    return this.#snapshots;
  }

  /**
   * Whether the store was opened to apply migrations (`migrate`, default true). The areas used with
   * it (projections, messaging…) then apply their pending migrations at their first use; otherwise
   * they refuse with MigrationRequiredError, naming `factum migrate`.
   */
  get migrates(): boolean {
    return this.#migrates;
  }

  /** The underlying better-sqlite3 connection, for projections and tooling that share the database file. */
  get database(): Database.Database {
    return this.#db;
  }

  /**
   * Runs `task` in one write transaction (BEGIN IMMEDIATE) on this store's connection: everything it
   * writes commits together, or nothing does when it throws. The task may await; meanwhile this
   * store's appends and reads wait for the commit (other processes wait on SQLite's write lock).
   * Projections and other components that must commit their rows atomically with a checkpoint use it.
   */
  transaction<T>(
    task: (db: Database.Database) => T | Promise<T>,
    options: SqliteTransactionOptions = {},
  ): Promise<T> {
    this.#assertOpen('transaction');
    if (this.#gate.inside()) return Promise.reject(new NestedTransactionError('start a transaction'));
    if (options.durable !== false || !this.#durable) {
      return this.#gate.run(() => this.#inTransaction(() => task(this.#db)));
    }
    return this.#gate.run(async () => {
      this.#relaxed.run();
      try {
        return await this.#inTransaction(() => task(this.#db));
      } finally {
        this.#strict.run();
      }
    });
  }

  /**
   * Runs `task` with this store's connection once no transaction of this store is open, alone (so it
   * sees only committed rows, even if it awaits). Inside a transaction's own context it runs at once
   * and sees that transaction's writes. For reads; write through transaction().
   */
  read<T>(task: (db: Database.Database) => T | Promise<T>): Promise<T> {
    this.#assertOpen('read');
    const run = async () => {
      try {
        return await task(this.#db);
      } catch (error) {
        throw error instanceof Error ? translate(error, 'read') : error;
      }
    };
    return this.#gate.inside() ? run() : this.#gate.run(run);
  }

  /**
   * read() for a synchronous task: it runs at once when no transaction of this store is open or
   * waiting (as readAll does), else once they are done. For reads made often, such as those of
   * projection handlers, which run outside any transaction.
   */
  readSync<T>(task: (db: Database.Database) => T): Promise<T> {
    this.#assertOpen('read');
    const run = () => {
      try {
        return task(this.#db);
      } catch (error) {
        throw error instanceof Error ? translate(error, 'read') : error;
      }
    };
    if (this.#gate.busy && !this.#gate.inside()) return this.#gate.run(run);
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs `hook` inside every later append's transaction (see SqliteAppendHook). Returns a function that removes it. */
  addAppendHook(hook: SqliteAppendHook): () => void {
    this.#appendHooks.add(hook);
    return () => {
      this.#appendHooks.delete(hook);
    };
  }

  async #inTransaction<T>(task: () => T | Promise<T>): Promise<T> {
    try {
      this.#begin.run();
    } catch (error) {
      throw translate(error, 'begin a transaction');
    }
    try {
      const value = await task();
      this.#commit.run();
      return value;
    } catch (error) {
      if (this.#db.inTransaction) this.#rollback.run();
      // What the task threw passes through as it is; only driver errors are translated.
      throw error instanceof Error ? translate(error, 'commit a transaction') : error;
    }
  }

  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    if (tracingHook === undefined) return this.#append(streamId, events, options);
    return tracingHook.inSpan(appendSpan('sqlite', streamId, events), () =>
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
    if (this.#gate.inside()) throw new NestedTransactionError(`append to ${append.streamId}`);
    let result: AppendResult;
    if (this.#appendHooks.size === 0 && !this.#gate.busy) {
      try {
        result = this.#appendTx(append);
      } catch (error) {
        throw translate(error, `append to ${append.streamId}`);
      }
    } else {
      result = await this.#gate.run(() => this.#appendWithHooks(append));
    }
    this.#notifier.notify();
    return result;
  }

  async #appendWithHooks(append: PreparedAppend): Promise<AppendResult> {
    const hooks = [...this.#appendHooks];
    if (hooks.length === 0) {
      try {
        return this.#appendTx(append);
      } catch (error) {
        throw translate(error, `append to ${append.streamId}`);
      }
    }
    return this.#inTransaction(async () => {
      this.#lastRecordedAt = undefined;
      const result = this.#appendInTransaction(append);
      const recordedAt = this.#lastRecordedAt as number | undefined;
      if (recordedAt === undefined) return result;
      const stored = storedEvents(append, result, recordedAt);
      for (const hook of hooks) await hook(stored, this.#db);
      return result;
    });
  }

  #appendInTransaction(append: PreparedAppend): AppendResult {
    const actual = this.#streamVersion.get(append.streamId) ?? 0;
    const found = append.hasCallerIds
      ? findEventIds(
          this.#db,
          append.events.map((e) => e.id),
        )
      : NO_IDS;
    const retry = checkAppend(append, found, actual);
    if (retry !== undefined) return retry;
    const recordedAt = this.#now().getTime();
    const { streamId, category, events } = append;
    let version = actual;
    let position = 0;
    for (let start = 0; start < events.length; start += MAX_ROWS_PER_INSERT) {
      const end = Math.min(events.length, start + MAX_ROWS_PER_INSERT);
      const params: unknown[] = new Array((end - start) * 9);
      let p = 0;
      for (let i = start; i < end; i++) {
        const e = events[i]!;
        params[p++] = e.id;
        params[p++] = streamId;
        params[p++] = ++version;
        params[p++] = category;
        params[p++] = e.type;
        params[p++] = e.schemaVersion;
        params[p++] = e.data;
        params[p++] = e.metadata;
        params[p++] = recordedAt;
      }
      const info = insertEventsStatement(this.#db, this.#insertCache, end - start).run(params);
      position = Number(info.lastInsertRowid);
    }
    this.#lastRecordedAt = recordedAt;
    return { nextExpectedVersion: version, position: BigInt(position) };
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StreamRead> {
    this.#assertOpen('readStream');
    assertStreamId(streamId);
    if (this.#gate.busy && !this.#gate.inside()) {
      return this.#gate.run(() => this.readStream(streamId, options));
    }
    try {
      return this.#readStreamTx(streamId, options);
    } catch (error) {
      throw translate(error, `read stream ${streamId}`);
    }
  }

  #readStreamInTransaction(streamId: string, options: ReadStreamOptions | undefined): StreamRead {
    const o = checkReadStreamOptions(options);
    const version = this.#streamVersion.get(streamId) ?? 0;
    if (version === 0) return { events: [], version: 0, exists: false };
    const rows = readStreamRows(this.#db, this.#readCache, streamId, {
      fromVersion: o.fromVersion,
      toVersion: o.toVersion,
      until: o.until?.getTime(),
      direction: o.direction,
      limit: o.limit,
    });
    return { events: rows.map(toStoredEvent), version, exists: true };
  }

  readAll(options?: ReadAllOptions): Promise<AllRead> {
    return this.#readAllWith(options, toStoredEvent);
  }

  async #readAllWith(options: ReadAllOptions | undefined, toEvent: (row: EventRow) => StoredEvent) {
    this.#assertOpen('readAll');
    const o = checkReadAllOptions(options);
    if (this.#gate.busy && !this.#gate.inside()) return this.#gate.run(() => this.#readAll(o, toEvent));
    return this.#readAll(o, toEvent);
  }

  #readAll(o: CheckedReadAllOptions, toEvent: (row: EventRow) => StoredEvent): AllRead {
    let rows: EventRow[];
    try {
      rows = readAllRows(this.#db, this.#readCache, o.after, o.limit, o.types, o.categories);
    } catch (error) {
      throw translate(error, 'read all');
    }
    const events = rows.map(toEvent);
    return { events, last: events.at(-1)?.position ?? o.after };
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    return this.#subscribeWith(options, handler, toStoredEvent);
  }

  #subscribeWith(
    options: SubscribeOptions,
    handler: EventHandler,
    toEvent: (row: EventRow) => StoredEvent,
  ): Subscription {
    this.#assertOpen('subscribe');
    checkReadAllOptions({ after: options.after, types: options.types, categories: options.categories });
    return this.#subscriptions.start(
      {
        readAll: (o) => this.#readAllWith(o, toEvent),
        notifier: this.#notifier,
        pollIntervalMs: this.#pollIntervalMs,
      },
      options,
      handler,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#subscriptions.stopAll();
    // Let an open transaction finish before the connection goes.
    await this.#gate.run(() => {}).catch(() => {});
    this.#closed = true;
    this.#db.close();
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw new StoreClosedError(operation);
  }
}
