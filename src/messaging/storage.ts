/**
 * The storage a relay and an idempotent consumer need, kept small so each database implements it in
 * its own SQL: SQLite (./sqlite) and PostgreSQL (./postgres: lease rows on the database clock,
 * `FOR UPDATE SKIP LOCKED` for the outbox so several relays share the work). Checkpoints, outbox and
 * inbox live in the same database as the events or the business rows they protect.
 */
import type { StoredEvent } from '../core/envelope.js';
import type { InboxPruneOptions, PruneOptions } from './retention.js';

export interface CheckpointStore {
  /** The last position saved under `name`, or 0n when there is none. */
  load(name: string): Promise<bigint>;
  /** Saves `position` under `name`; a position lower than the saved one is ignored (never moves back). */
  save(name: string, position: bigint): Promise<void>;
}

export interface LeaseStore {
  /**
   * Takes the lease `name` for `owner`, or renews it when `owner` holds it, until `ttlMs` from now.
   * Returns false while another owner holds an unexpired lease.
   */
  tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it. */
  release(name: string, owner: string): Promise<void>;
}

/** A batch a relay publishes; `commit()` runs only after the broker confirmed every event in it. */
export interface RelayBatch {
  readonly events: readonly StoredEvent[];
  commit(): Promise<void>;
  /** Gives a claimed batch back without committing (publish failed); optional. */
  release?(): Promise<void>;
}

/** Where a relay takes events from: the global event log after a checkpoint, or an outbox table. */
export interface RelaySource {
  /** Names the checkpoint / lease. */
  readonly name: string;
  /**
   * The next events in order, at most `limit`; an empty batch when there is nothing new. Successive
   * calls return successive batches (the relay reads the next batch while the previous one is being
   * confirmed) and batches are committed in the order they were read.
   */
  next(limit: number): Promise<RelayBatch>;
  /** Forgets the read cursor: the next batch starts again after the last committed one. */
  reset?(): void;
  /** Calls `wake` when new events may be there (in-process appends); returns the unsubscribe function. */
  watch?(wake: () => void): () => void;
  /**
   * Deletes what the source no longer needs (published outbox rows older than `olderThan`) in bounded
   * batches; resolves with the rows deleted. Outbox sources have it, the event log does not (events
   * are never deleted). The relay's background retention calls it.
   */
  prune?(options: PruneOptions): Promise<number>;
}

/**
 * Idempotent processing: `process` runs `work` and records (consumer, event id) in one transaction of
 * the database `work` writes to. When the pair is already recorded, `work` does not run.
 */
export interface Inbox<Tx> {
  process(
    consumer: string,
    event: Pick<StoredEvent, 'id'>,
    work: (tx: Tx) => Promise<void> | void,
  ): Promise<'processed' | 'duplicate'>;
  /** Whether (consumer, event id) is recorded. */
  has(consumer: string, eventId: string): Promise<boolean>;
  /**
   * Deletes records processed before `olderThan` (of one consumer, or of all) in bounded batches;
   * resolves with the number deleted. A redelivery of a deleted event is processed again, so keep
   * records longer than the broker may redeliver (see docs/messaging.md, Retention). Factum's inboxes
   * have it; an inbox of your own may leave it out (then `consume` cannot prune it).
   */
  prune?(options: InboxPruneOptions): Promise<number>;
}

/** An inbox that can prune: Factum's own (SQLite, PostgreSQL, memory). */
export interface PrunableInbox<Tx> extends Inbox<Tx> {
  prune(options: InboxPruneOptions): Promise<number>;
}

/** A message for the outbox: an event of `streamId` (its category and version are derived). */
export interface OutboxMessage {
  streamId: string;
  type: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /** A UUID; defaults to a new UUIDv7. */
  id?: string;
  schemaVersion?: number;
}
