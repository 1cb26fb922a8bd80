/**
 * What a relay reads from and where it keeps its lease, and the inbox an idempotent consumer needs.
 * Leases and checkpoints are the follow kit's (src/follow): one lease table and one checkpoint table
 * per database. The outbox and the inbox live in the same database as the events or the business
 * rows they protect.
 */
import type { StoredEvent } from '../core/envelope.js';
import type { FollowSource, FollowStorage, HeldLease, Page } from '../follow/index.js';
import type { InboxPruneOptions, PruneOptions } from './retention.js';

/** A page a relay publishes: consecutive events of its source; an outbox page may hold a claim. */
export interface RelayPage extends Page {
  /** Gives a claimed page back without committing it (publish failed, or it was read ahead). */
  release?(): Promise<void>;
}

/** Where a relay takes events from: the global event log after a checkpoint, or an outbox table. */
export interface RelaySource {
  /** Names the relay's lease (`relay:<name>`) and, for the event log, its checkpoint. */
  readonly name: string;
  /** Where the relay's lease (and the event log's checkpoint) lives: the source's own database. */
  readonly storage: FollowStorage;
  /** The pages to publish, in order: the follow kit reads them (catch-up, then live). */
  readonly pages: FollowSource<RelayPage>;
  /** Where a new holding of the lease starts: the checkpoint (event log), or 0n (an outbox). */
  start(): Promise<bigint>;
  /**
   * Makes a published page's progress durable (saves the checkpoint, marks outbox rows published),
   * only while `lease` is current: a relay whose lease was taken over gets LeaseLostError and nothing
   * is committed. Pages are committed in the order they were read.
   */
  commit(page: RelayPage, lease: HeldLease): Promise<void>;
  /** Forgets what was read ahead and not committed: the next holding starts again from `start()`. */
  reset?(): void;
  /**
   * Deletes what the source no longer needs (published outbox rows older than `olderThan`) in bounded
   * batches; resolves with the rows deleted. Outbox sources have it, the event log does not (events
   * are never deleted). The relay's background retention calls it.
   */
  prune?(options: PruneOptions): Promise<number>;
}

/** The relay's lease of a source, in the follow kit's lease table. */
export function relayLeaseName(source: string): { name: string; scope: string } {
  const name = `relay:${source}`;
  return { name, scope: name };
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
