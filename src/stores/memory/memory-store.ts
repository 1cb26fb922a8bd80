import type { NewEvent, StoredEvent } from '../../core/envelope.js';
import { StoreClosedError } from '../../core/errors.js';
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
import { checkReadAllOptions, checkReadStreamOptions } from '../../core/store.js';
import { AppendNotifier, SubscriptionSet } from '../../core/subscription.js';
import { appendSpan, tracingHook } from '../../core/tracing.js';
import { assertStreamId, prepareAppend } from '../../core/validation.js';
import { MemorySnapshotStore } from './memory-snapshots.js';

export interface MemoryStoreOptions {
  /** A clock for timestamps (tests of temporal reads). Defaults to the system clock. */
  now?: () => Date;
}

/**
 * An event store in process memory: for tests and examples. Same contract and guarantees as the
 * durable stores, except that nothing survives the process. Stored events are deeply frozen.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): EventStore & SnapshotCapable {
  return new MemoryEventStore(options);
}

class MemoryEventStore implements EventStore, SnapshotCapable {
  /** Which kind of store this is: followers of its log keep their leases and checkpoints in memory. */
  readonly dialect = 'memory';
  readonly #log: StoredEvent[] = [];
  readonly #streams = new Map<string, StoredEvent[]>();
  readonly #byId = new Map<string, StoredEvent>();
  readonly #notifier = new AppendNotifier();
  readonly #subscriptions = new SubscriptionSet();
  readonly #now: () => Date;
  readonly #snapshots = new MemorySnapshotStore((operation) => this.#assertOpen(operation));
  #closed = false;

  constructor(options: MemoryStoreOptions) {
    this.#now = options.now ?? (() => new Date());
  }

  /** Snapshots of deciders' state, kept beside the events (a cache: deleting them changes no result). */
  get snapshots(): SnapshotStore {
    return this.#snapshots;
  }

  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    if (tracingHook === undefined) return this.#append(streamId, events, options);
    return tracingHook.inSpan(appendSpan(undefined, streamId, events), () =>
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
    const stream = this.#streams.get(append.streamId);
    const actual = stream?.length ?? 0;
    const found = new Map<string, StoredIdRecord>();
    if (append.hasCallerIds) {
      for (const e of append.events) {
        const stored = this.#byId.get(e.id);
        if (stored !== undefined) found.set(e.id, stored);
      }
    }
    const retry = checkAppend(append, found, actual);
    if (retry !== undefined) return retry;

    const timestamp = this.#now();
    const target = stream ?? [];
    let position = BigInt(this.#log.length);
    for (let i = 0; i < append.events.length; i++) {
      const e = append.events[i]!;
      position += 1n;
      const stored: StoredEvent = deepFreeze({
        id: e.id,
        type: e.type,
        streamId: append.streamId,
        category: append.category,
        version: actual + i + 1,
        position,
        schemaVersion: e.schemaVersion,
        timestamp: new Date(timestamp.getTime()),
        data: JSON.parse(e.data) as unknown,
        metadata: JSON.parse(e.metadata) as StoredEvent['metadata'],
      });
      target.push(stored);
      this.#log.push(stored);
      this.#byId.set(stored.id, stored);
    }
    if (stream === undefined) this.#streams.set(append.streamId, target);
    this.#notifier.notify();
    return { nextExpectedVersion: target.length, position };
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StreamRead> {
    this.#assertOpen('readStream');
    assertStreamId(streamId);
    const o = checkReadStreamOptions(options);
    const stream = this.#streams.get(streamId) ?? [];
    let selected = stream.filter(
      (e) =>
        (o.toVersion === undefined || e.version <= o.toVersion) &&
        (o.until === undefined || e.timestamp.getTime() <= o.until.getTime()),
    );
    if (o.direction === 'backward') {
      selected.reverse();
      if (o.fromVersion !== undefined) selected = selected.filter((e) => e.version <= o.fromVersion!);
    } else if (o.fromVersion !== undefined) {
      selected = selected.filter((e) => e.version >= o.fromVersion!);
    }
    if (o.limit !== undefined) selected = selected.slice(0, o.limit);
    return { events: selected, version: stream.length, exists: stream.length > 0 };
  }

  async readAll(options?: ReadAllOptions): Promise<AllRead> {
    this.#assertOpen('readAll');
    const o = checkReadAllOptions(options);
    const events: StoredEvent[] = [];
    const types = o.types === undefined ? undefined : new Set(o.types);
    const categories = o.categories === undefined ? undefined : new Set(o.categories);
    for (let i = Number(o.after); i < this.#log.length && events.length < o.limit; i++) {
      const e = this.#log[i]!;
      if (types !== undefined && !types.has(e.type)) continue;
      if (categories !== undefined && !categories.has(e.category)) continue;
      events.push(e);
    }
    return { events, last: events.at(-1)?.position ?? o.after };
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    this.#assertOpen('subscribe');
    checkReadAllOptions({ after: options.after, types: options.types, categories: options.categories });
    return this.#subscriptions.start(
      { readAll: (o) => this.readAll(o), notifier: this.#notifier, pollIntervalMs: 60_000 },
      options,
      handler,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#subscriptions.stopAll();
    this.#closed = true;
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw new StoreClosedError(operation);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
