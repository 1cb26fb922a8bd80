import type { StoredEvent } from '../core/envelope.js';

/** A JSON value a filter compares with: documents are JSON, so are their fields. */
export type Scalar = string | number | boolean | null;

/** Conditions on one field; several in one object must all hold. */
export interface FieldCondition {
  eq?: Scalar;
  /** Not equal; also matches documents where the field is missing. */
  ne?: Scalar;
  gt?: string | number;
  gte?: string | number;
  lt?: string | number;
  lte?: string | number;
  in?: readonly Scalar[];
}

/**
 * Equality and range filters on document fields, all of which must hold. Keys are field names or
 * dotted paths ('address.city'); a scalar value means equality, `null` matches a missing or null field.
 * Compare like with like (numbers with numbers, strings with strings): that is what every store
 * answers the same way.
 */
export type Filter = Readonly<Record<string, Scalar | FieldCondition>>;

export interface FindOptions {
  /** A field or dotted path; `[field, 'desc']` for descending. Missing values sort last ascending, first descending. */
  orderBy?: string | readonly [string, 'asc' | 'desc'];
  limit?: number;
  offset?: number;
}

/** Reading a collection of JSON documents by id or by filter. */
export interface DocumentReader<T extends object = Record<string, unknown>> {
  get(id: string): Promise<T | undefined>;
  find(filter?: Filter, options?: FindOptions): Promise<T[]>;
  count(filter?: Filter): Promise<number>;
}

/** A collection of JSON documents keyed by a string id: the portable read-model API. */
export interface DocumentCollection<T extends object = Record<string, unknown>> extends DocumentReader<T> {
  /** Inserts or replaces the whole document. */
  upsert(id: string, doc: T): Promise<void>;
  /**
   * Sets the given top-level fields, keeping the others (a shallow merge; a `null` value stores null).
   * Returns false, changing nothing, when there is no document with this id.
   */
  patch(id: string, changes: Partial<T>): Promise<boolean>;
  /** Returns whether a document was deleted. */
  delete(id: string): Promise<boolean>;
}

/** What a projection's handler writes through: the read model of the generation being built, in one transaction. */
export interface ProjectionTx {
  /** A declared collection of this projection. */
  documents<T extends object = Record<string, unknown>>(collection: string): DocumentCollection<T>;
  /**
   * The quoted physical name of one of this projection's declared raw tables in the generation being
   * written, for raw SQL (`tx.exec(\`INSERT INTO ${tx.table('totals')} …\`)`). Readers use the plain name,
   * a view of the live generation.
   */
  table(name: string): string;
  /** A raw query in the store's own SQL dialect, values bound as parameters; returns the rows. */
  sql<R = Record<string, unknown>>(query: string, params?: readonly unknown[]): Promise<R[]>;
  /** A raw statement in the store's own SQL dialect; returns the number of rows changed. */
  exec(query: string, params?: readonly unknown[]): Promise<number>;
  /** Which SQL dialect `sql`/`exec` speak ('memory' and 'redis' have none). */
  readonly dialect: 'sqlite' | 'postgres' | 'memory' | 'redis';
}

export interface CollectionOptions {
  /** Fields (or dotted paths) to index; an array entry is a compound index. Filters on them stay fast. */
  indexes?: readonly (string | readonly string[])[];
}

/** How a handler failure is retried before the event is dead-lettered (see RetryOptions). */
export interface HandlerRetryOptions {
  /** Retries after the first attempt (default 3); 0 dead-letters on the first failure. */
  retries?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  jitter?: number;
}

/**
 * Which events must be applied in order relative to each other. 'stream' (the default): events of one
 * stream. A function: events with the same key. `null`: no ordering beyond the log itself, so a
 * dead-lettered event parks nothing behind it.
 */
export type OrderingKey<E extends StoredEvent = StoredEvent> = 'stream' | ((event: E) => string) | null;

export interface ProjectionDefinition<E extends StoredEvent = StoredEvent> {
  /** Lower-case letters, digits and '_', starting with a letter (at most 48 characters). */
  name: string;
  /** The event types the handler receives; others pass by (the checkpoint still moves past them). */
  handles: readonly string[];
  /** Applies one event to the read model through `tx`; a throw rolls back what it wrote. */
  handle(event: E, tx: ProjectionTx): Promise<void> | void;
  /** Document collections this projection writes, with their indexes. */
  documents?: Readonly<Record<string, CollectionOptions>>;
  /** Raw SQL tables this projection writes; `setup` creates them with `tx.table(name)`. */
  tables?: readonly string[];
  /** Runs once for each new generation, before any event: create raw tables and their indexes here. */
  setup?(tx: ProjectionTx): Promise<void> | void;
  /** Bound on eventual consistency: past `maxLagMs` of lag the alert hook fires and status says breached. */
  sla?: { maxLagMs: number };
  /** Sequence-aware dead-lettering (see OrderingKey); default 'stream'. */
  orderingKey?: OrderingKey<E>;
  /** Handler retries before dead-lettering. */
  retry?: HandlerRetryOptions;
  /** Events per transaction for async runs and rebuilds (default 2,000). */
  batchSize?: number;
  /**
   * How long one call of `handle` may take (ms, default 30,000). A handler that hangs past it counts
   * as failed (retried, then dead-lettered); its transaction is rolled back and its `tx` closed.
   */
  timeoutMs?: number;
  /** Bump when the handler's output changes; status reports a projection whose stored version differs. */
  version?: number;
}

/** A validated projection definition (made by defineProjection); the event type is erased. */
export interface Projection {
  readonly name: string;
  readonly handles: readonly string[];
  handle(event: StoredEvent, tx: ProjectionTx): Promise<void> | void;
  readonly documents: Readonly<Record<string, CollectionOptions>>;
  readonly tables: readonly string[];
  readonly setup: ((tx: ProjectionTx) => Promise<void> | void) | undefined;
  readonly sla: { readonly maxLagMs: number } | undefined;
  /** The ordering key of an event, or null when the projection orders nothing (no parking). */
  keyOf(event: StoredEvent): string | null;
  readonly retry: Required<HandlerRetryOptions>;
  readonly batchSize: number;
  readonly timeoutMs: number;
  readonly version: number;
}
