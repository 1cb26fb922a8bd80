import type { NewEvent } from './envelope.js';
import type { SchemaRegistry } from './schema-registry.js';
import type { SnapshotCapable, SnapshotStore } from './snapshot.js';
import { snapshotsOf } from './snapshot.js';
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
} from './store.js';
import { offerRawDataReads, rawDataReadsOf } from './stored-data.js';

/** An event store whose events pass through a schema registry; keeps the inner store's snapshots. */
export type SchemaAwareStore = EventStore & Partial<SnapshotCapable>;

/**
 * Wraps any store so that appends are validated against the registry and stamped with their type's
 * schema version (invalid data: SchemaValidationError, nothing written), and every read
 * (readStream, readAll, subscribe) returns events upcast to their type's current version. The inner
 * store and its rows are untouched: reading the inner store directly shows events as stored.
 */
export function withSchemas(store: EventStore, registry: SchemaRegistry): SchemaAwareStore {
  return new SchemaDecoratedStore(store, registry, snapshotsOf(store));
}

class SchemaDecoratedStore implements EventStore {
  readonly #inner: EventStore;
  readonly #registry: SchemaRegistry;
  readonly snapshots: SnapshotStore | undefined;

  constructor(inner: EventStore, registry: SchemaRegistry, snapshots: SnapshotStore | undefined) {
    this.#inner = inner;
    this.#registry = registry;
    this.snapshots = snapshots;
    // The inner store's reads with stored data JSON (the relay's), upcast like readAll: an event that
    // needs no upcast is the inner store's own object and keeps its text; an upcast one is a new
    // object (registry.upcast) without text, so its upcast data is what gets encoded.
    const raw = rawDataReadsOf(inner);
    if (raw !== undefined) {
      offerRawDataReads(this, {
        readAll: async (options) => this.#upcastPage(await raw.readAll(options)),
        subscribe: (options, handler) =>
          raw.subscribe(options, (event) => handler(this.#registry.upcast(event))),
      });
    }
  }

  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    let prepared: NewEvent[];
    try {
      prepared = this.#registry.prepare(streamId, events);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#inner.append(streamId, prepared, options);
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StreamRead> {
    const read = await this.#inner.readStream(streamId, options);
    return { ...read, events: read.events.map((e) => this.#registry.upcast(e)) };
  }

  async readAll(options?: ReadAllOptions): Promise<AllRead> {
    return this.#upcastPage(await this.#inner.readAll(options));
  }

  #upcastPage(page: AllRead): AllRead {
    return { ...page, events: page.events.map((e) => this.#registry.upcast(e)) };
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    return this.#inner.subscribe(options, (event) => handler(this.#registry.upcast(event)));
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
