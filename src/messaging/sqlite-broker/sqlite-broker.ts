import type Database from 'better-sqlite3';
import { Emitter } from '../../core/emitter.js';
import type { StoredEvent } from '../../core/envelope.js';
import { AbortedError, BrokerClosedError, ErrorCodes, ValidationError } from '../../core/errors.js';
import { createSqliteStore } from '../../stores/sqlite/index.js';
import { isSqliteStore, type SqliteEventStore } from '../../stores/sqlite/kit.js';
import type {
  Broker,
  BrokerCapabilities,
  BrokerDeadLetter,
  BrokerEventListener,
  BrokerEvents,
  ConsumeOptions,
  Consumer,
  ConsumerLag,
  GroupOptions,
  MessageHandler,
  PublishOptions,
} from '../broker.js';
import { isDeadLetterReason } from '../broker.js';
import { resolveConsumeOptions } from '../delivery.js';
import { ensureMessagingMigrations } from '../sqlite/migrations/index.js';
import { messagingSystem } from '../tracing.js';
import { SqliteConsumer } from './consumer.js';
import { type SqliteBrokerHost, storeAccess } from './host.js';
import { type GroupRow, selectGroups, upsertGroup } from './sql/groups.js';
import { pruneMessages } from './sql/prune.js';
import { insertMessage } from './sql/publish.js';
import { countPending, selectDeadLetters } from './sql/read.js';
import { notify, wakeKey } from './wakers.js';
import { decode, encode } from './wire.js';

export interface SqliteBrokerRetentionOptions {
  /** How often acknowledged messages are deleted (ms, default 60,000). */
  everyMs?: number;
  /** Messages looked at per transaction (default 1,000). */
  batchSize?: number;
}

export interface SqliteBrokerOptions {
  /** A SQLite file of the broker's own (created if needed). Give `file` or `store`. */
  file?: string;
  /** Or share an event store's file and connection (its transactions serialise the broker's writes). */
  store?: SqliteEventStore;
  /** Keeps brokers apart in one file (default 'factum'). */
  namespace?: string;
  /** How often an idle consumer looks for messages published by other processes (ms, default 50). */
  pollMs?: number;
  /**
   * How long a claimed message stays with its consumer without a renewal (ms, default 30,000): a
   * consumer that crashed loses its messages to the others after this. Renewed every third of it.
   */
  leaseMs?: number;
  /** For a broker's own `file`: durability of publishes (default 'FULL'). */
  synchronous?: 'FULL' | 'NORMAL';
  /** For a broker's own `file`: how long to wait for another process's write lock (ms, default 5,000). */
  busyTimeoutMs?: number;
  /** Background deletion of messages every group has handled (default every 60 s); false: never. */
  retention?: SqliteBrokerRetentionOptions | false;
}

const DEFAULT_POLL_MS = 50;
const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_RETENTION_EVERY_MS = 60_000;
const DEFAULT_RETENTION_BATCH = 1_000;
const MAX_NAME_LENGTH = 200;

let instances = 0;

/**
 * A broker whose queues live in a SQLite file: services in one process or several processes on one
 * machine exchange events with no broker installed. Publishing is one write transaction (the confirm
 * is the commit); each group declared before a publish gets a delivery row for every message its
 * filters match; consumers claim deliveries with a lease in a write transaction, so competing
 * consumers in any process never hold one message at once, and a crashed consumer's messages come
 * again once its lease ran out.
 */
export function createSqliteBroker(options: SqliteBrokerOptions): SqliteBroker {
  if (
    typeof options !== 'object' ||
    options === null ||
    (options.file === undefined) === (options.store === undefined)
  ) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'options',
      'createSqliteBroker needs exactly one of { file } or { store }',
    );
  }
  if (options.store !== undefined && !isSqliteStore(options.store)) {
    throw new ValidationError(ErrorCodes.INVALID_ARGUMENT, 'store', 'store must be a SQLite event store');
  }
  const namespace = options.namespace ?? 'factum';
  assertName('namespace', namespace);
  const pollMs = positive('pollMs', options.pollMs ?? DEFAULT_POLL_MS);
  const leaseMs = positive('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS);
  const owned = options.store === undefined;
  const store =
    options.store ??
    createSqliteStore(options.file!, {
      ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
    });
  try {
    ensureMessagingMigrations(store);
  } catch (error) {
    if (owned) void store.close();
    throw error;
  }
  return new SqliteBroker(store, owned, { namespace, pollMs, leaseMs, retention: options.retention ?? {} });
}

export class SqliteBroker implements Broker {
  readonly name = 'sqlite';
  /** Each stream's events reach a group in order even across competing consumers (see docs). */
  readonly capabilities: BrokerCapabilities = { orderedCompetingConsumers: true };
  readonly namespace: string;
  readonly #store: SqliteEventStore;
  readonly #owned: boolean;
  readonly #emitter = new Emitter<BrokerEvents>();
  readonly #consumers = new Set<SqliteConsumer>();
  readonly #host: SqliteBrokerHost;
  readonly #retention: ReturnType<typeof setInterval> | undefined;
  readonly #retentionBatch: number;
  #closed = false;

  constructor(
    store: SqliteEventStore,
    owned: boolean,
    options: {
      namespace: string;
      pollMs: number;
      leaseMs: number;
      retention: SqliteBrokerRetentionOptions | false;
    },
  ) {
    this.#store = store;
    this.#owned = owned;
    this.namespace = options.namespace;
    const access = storeAccess(store);
    this.#host = {
      namespace: options.namespace,
      pollMs: options.pollMs,
      leaseMs: options.leaseMs,
      wakeKey: wakeKey(store.database.name, options.namespace, `${process.pid}-${++instances}`),
      emitter: this.#emitter,
      write: access.write,
      read: access.read,
      forget: (consumer) => {
        this.#consumers.delete(consumer as SqliteConsumer);
      },
    };
    const retention = options.retention;
    this.#retentionBatch =
      retention === false
        ? DEFAULT_RETENTION_BATCH
        : positive('retention.batchSize', retention.batchSize ?? DEFAULT_RETENTION_BATCH);
    if (retention !== false) {
      const every = positive('retention.everyMs', retention.everyMs ?? DEFAULT_RETENTION_EVERY_MS);
      this.#retention = setInterval(() => {
        this.prune().catch(() => {});
      }, every);
      this.#retention.unref();
    }
  }

  /** Every event goes to the namespace (its groups' deliveries are rows under it). */
  destinationOf(_event: StoredEvent): string {
    return this.namespace;
  }

  async publish(events: readonly StoredEvent[], options: PublishOptions = {}): Promise<void> {
    this.#assertOpen('publish');
    if (options.signal?.aborted) throw new AbortedError('publish', options.signal.reason);
    if (!Array.isArray(events)) {
      throw new ValidationError(ErrorCodes.INVALID_ARGUMENT, 'events', 'publish needs an array of events');
    }
    if (events.length === 0) return;
    const encoded = events.map((event) => ({ event, wire: encode(event) }));
    const { namespace } = this;
    await this.#host.write(`publish ${events.length} event(s)`, (db) => {
      const groups = selectGroups(db, namespace).map(parseGroup);
      const now = Date.now();
      for (const { event, wire } of encoded) {
        const targets = groups.filter((g) => g.matches(event)).map((g) => g.name);
        // A message no group is declared for is dropped, like a topic exchange without a binding.
        if (targets.length === 0) continue;
        insertMessage(
          db,
          namespace,
          {
            messageId: event.id,
            streamId: event.streamId,
            category: event.category,
            type: event.type,
            headers: JSON.stringify(wire.headers),
            body: wire.body,
          },
          targets,
          now,
        );
      }
    });
    notify(this.#host.wakeKey);
  }

  async declareGroup(options: GroupOptions): Promise<void> {
    this.#assertOpen('declare a group');
    assertName('group', options.group);
    const categories = filter('categories', options.categories);
    const types = filter('types', options.types);
    await this.#host.write(`declare the group ${options.group}`, (db) =>
      upsertGroup(db, this.namespace, options.group, categories, types, Date.now()),
    );
  }

  async consume(options: ConsumeOptions, handler: MessageHandler): Promise<Consumer> {
    this.#assertOpen('consume');
    const resolved = resolveConsumeOptions(options, messagingSystem(this.name));
    await this.declareGroup(options);
    const consumer = new SqliteConsumer(this.#host, resolved, handler);
    this.#consumers.add(consumer);
    consumer.start();
    return consumer;
  }

  async lag(group: string): Promise<ConsumerLag> {
    this.#assertOpen('read lag');
    const lag = await this.#host.read(`read the lag of ${group}`, (db) =>
      countPending(db, this.namespace, group),
    );
    return { group, lag, partitions: [{ partition: `${this.namespace}/${group}`, lag }] };
  }

  async deadLetters(group: string, options: { limit?: number } = {}): Promise<BrokerDeadLetter[]> {
    this.#assertOpen('read dead letters');
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'limit',
        `limit must be an integer >= 1, got ${String(limit)}`,
      );
    }
    const rows = await this.#host.read(`read the dead letters of ${group}`, (db) =>
      selectDeadLetters(db, this.namespace, group, limit),
    );
    return rows.map((row) => {
      const letter: BrokerDeadLetter = {
        group,
        reason: isDeadLetterReason(row.reason) ? row.reason : 'delivery-limit',
        error: row.error,
        attempts: Number(row.attempts),
        deadLetteredAt: new Date(Number(row.deadLetteredAt)),
        headers: JSON.parse(row.headers) as Record<string, string>,
        body: row.body,
      };
      try {
        letter.event = decode(row.body);
      } catch {
        // Not a Factum envelope: the record keeps headers and body only.
      }
      return letter;
    });
  }

  /**
   * Deletes the messages every group has acknowledged or dead-lettered, in batches (one short
   * transaction each), across every namespace of the file. Resolves with the number deleted.
   */
  async prune(options: { signal?: AbortSignal } = {}): Promise<number> {
    this.#assertOpen('prune');
    let after: bigint | undefined = 0n;
    let deleted = 0;
    while (after !== undefined && options.signal?.aborted !== true && !this.#closed) {
      const from: bigint = after;
      const step = await this.#host.write(
        'delete handled messages',
        (db: Database.Database) => pruneMessages(db, from, this.#retentionBatch),
        false,
      );
      deleted += step.deleted;
      after = step.next;
    }
    return deleted;
  }

  on<K extends keyof BrokerEvents>(event: K, listener: BrokerEventListener<K>): () => void {
    return this.#emitter.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retention !== undefined) clearInterval(this.#retention);
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    if (this.#owned) await this.#store.close();
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw new BrokerClosedError(operation);
  }
}

interface ParsedGroup {
  name: string;
  matches(event: StoredEvent): boolean;
}

function parseGroup(row: GroupRow): ParsedGroup {
  const categories = row.categories === null ? undefined : new Set(JSON.parse(row.categories) as string[]);
  const types = row.types === null ? undefined : new Set(JSON.parse(row.types) as string[]);
  return {
    name: row.grp,
    matches: (event) =>
      (categories === undefined || categories.has(event.category)) &&
      (types === undefined || types.has(event.type)),
  };
}

function assertName(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      field,
      `${field} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters, got ${JSON.stringify(value)}`,
    );
  }
}

function filter(field: string, value: readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      field,
      `${field} must be an array of non-empty strings`,
    );
  }
  return [...value].sort();
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      field,
      `${field} must be a number > 0, got ${String(value)}`,
    );
  }
  return value;
}
