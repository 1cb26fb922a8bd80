import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { NewEvent } from '../../core/envelope.js';
import { ConcurrencyError, FactumError, StoreClosedError, StoreUnavailableError } from '../../core/errors.js';
import { matchesExpectedVersion } from '../../core/expected-version.js';
import { resolveRetry } from '../../core/idempotency.js';
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
import { checkReadAllOptions, checkReadStreamOptions } from '../../core/store.js';
import { AppendNotifier, SubscriptionSet } from '../../core/subscription.js';
import { assertStreamId, type PreparedAppend, prepareAppend } from '../../core/validation.js';
import { migrate } from './migrations/index.js';
import type { EventRow } from './sql/event-row.js';
import { toStoredEvent } from './sql/event-row.js';
import { findEventIds } from './sql/find-event-ids.js';
import { insertEventsStatement, MAX_ROWS_PER_INSERT } from './sql/insert-event.js';
import { readAllRows } from './sql/read-all.js';
import { readStreamRows } from './sql/read-stream.js';
import { prepareStreamVersion } from './sql/stream-version.js';

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
  /** Apply pending migrations when the store opens (default true). */
  migrate?: boolean;
  /** A clock for timestamps (tests of temporal reads). */
  now?: () => Date;
}

type BetterSqlite3 = typeof Database;

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
    if (options.migrate !== false) migrate(db);
  } catch (error) {
    db.close();
    throw translate(error, `open ${filename}`);
  }
  return new SqliteEventStore(db, options);
}

export class SqliteEventStore implements EventStore {
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
  }

  /** The underlying better-sqlite3 connection, for projections and tooling that share the database file. */
  get database(): Database.Database {
    return this.#db;
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    this.#assertOpen('append');
    const append = prepareAppend(streamId, events, options);
    let result: AppendResult;
    try {
      result = this.#appendTx(append);
    } catch (error) {
      throw translate(error, `append to ${append.streamId}`);
    }
    this.#notifier.notify();
    return result;
  }

  #appendInTransaction(append: PreparedAppend): AppendResult {
    const actual = this.#streamVersion.get(append.streamId) ?? 0;
    if (append.hasCallerIds) {
      const found = findEventIds(
        this.#db,
        append.events.map((e) => e.id),
      );
      const retry = resolveRetry(append, found, actual);
      if (retry !== undefined) return retry;
    }
    if (!matchesExpectedVersion(append.expectedVersion, actual)) {
      throw new ConcurrencyError(append.streamId, append.expectedVersion ?? 'any', actual);
    }
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
      const info = insertEventsStatement(this.#db, this.#insertCache, end - start).run(...params);
      position = Number(info.lastInsertRowid);
    }
    return { nextExpectedVersion: version, position: BigInt(position) };
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StreamRead> {
    this.#assertOpen('readStream');
    assertStreamId(streamId);
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

  async readAll(options?: ReadAllOptions): Promise<AllRead> {
    this.#assertOpen('readAll');
    const o = checkReadAllOptions(options);
    let rows: EventRow[];
    try {
      rows = readAllRows(this.#db, this.#readCache, o.after, o.limit, o.types, o.categories);
    } catch (error) {
      throw translate(error, 'read all');
    }
    const events = rows.map(toStoredEvent);
    return { events, last: events.at(-1)?.position ?? o.after };
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    this.#assertOpen('subscribe');
    checkReadAllOptions({ after: options.after, types: options.types, categories: options.categories });
    return this.#subscriptions.start(
      { readAll: (o) => this.readAll(o), notifier: this.#notifier, pollIntervalMs: this.#pollIntervalMs },
      options,
      handler,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#subscriptions.stopAll();
    this.#closed = true;
    this.#db.close();
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw new StoreClosedError(operation);
  }
}

/** Driver errors become Factum errors at this edge; Factum's own errors pass through unchanged. */
function translate(error: unknown, operation: string): Error {
  if (error instanceof FactumError) return error;
  const code = (error as { code?: unknown }).code;
  if (
    code === 'SQLITE_BUSY' ||
    code === 'SQLITE_LOCKED' ||
    code === 'SQLITE_IOERR' ||
    code === 'SQLITE_FULL'
  ) {
    return new StoreUnavailableError(`SQLite could not ${operation}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}
