import type * as Kafka from '@platformatic/kafka';
import { BrokerUnavailableError } from '../../core/errors.js';
import { retry, sleep } from '../../core/retry.js';
import type { KafkaGroupTiming } from './host.js';
import { type CommittedOffset, type DeliveryMarker, encodeMarker, previousDeliveries } from './offsets.js';

export type KafkaRecord = Kafka.Message;

/** What a partition lane needs from the group member that owns it. */
export interface LaneHost {
  readonly prefetch: number;
  readonly timing: KafkaGroupTiming;
  stopped(): boolean;
  /** Pending while the group rebalances. */
  rebalancing(): Promise<void> | undefined;
  memberId(): string;
  /** Ids this member had before it reconnected: their markers are its own. */
  isFormerMember(member: string): boolean;
  clientClosed(): boolean;
  readCommitted(partition: number): Promise<CommittedOffset>;
  /** The partition's log start offset (records before it were removed by retention). */
  logStart(partition: number): Promise<bigint>;
  /** One attempt to commit `offset` with `metadata`; the lane retries. */
  commit(partition: number, offset: bigint, metadata: string): Promise<void>;
  /** For error messages: '<topic>[<partition>] for group <id>'. */
  describe(partition: number): string;
  /** Handles one record (filter, decode, handler with retries, dead-lettering). */
  deliver(record: KafkaRecord, deliveryCount: number): Promise<'done' | 'abandon'>;
  /** `n` records left the member's buffer. */
  release(n: number): void;
  /** A commit kept failing: the member starts over from the committed offsets. */
  failed(): void;
}

/**
 * One partition this member owns (or owned): its records in hand, handled in offset order — so in
 * order per stream, as the key is the stream id — in ranges under one delivery marker each (see
 * offsets.ts). The offset moves only after the handlers succeeded or the records were dead-lettered.
 */
export class PartitionLane {
  readonly partition: number;
  readonly #host: LaneHost;
  #queue: KafkaRecord[] = [];
  /** Next offset expected from the fetcher; older records are duplicates of ones in hand or done. */
  #fetched = -1n;
  /** Next offset to handle (the committed position); -1n when the group has none. */
  #next = -1n;
  /** The marker last committed for this partition, as far as this member knows. */
  #marker: DeliveryMarker | undefined;
  /** The marker found when the partition was taken over: its records count their earlier deliveries. */
  #inherited: DeliveryMarker | undefined;
  #initialized = false;
  #revoked = false;
  #running: Promise<void> | undefined;
  /** Handled up to here but not yet committed (see #advance); undefined when nothing waits. */
  #pending: bigint | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(partition: number, host: LaneHost) {
    this.partition = partition;
    this.#host = host;
  }

  get revoked(): boolean {
    return this.#revoked;
  }

  /** Resolves when the lane's worker is idle. */
  get idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  /** Takes a fetched record (duplicates of records in hand are ignored) and starts the worker. */
  push(record: KafkaRecord): boolean {
    if (this.#revoked) this.#revoked = false; // assigned again
    if (this.#fetched >= 0n && record.offset < this.#fetched) return false; // fetched again after a rebalance
    this.#fetched = record.offset + 1n;
    this.#queue.push(record);
    this.#kick();
    return true;
  }

  /** The partition went to another member: drop the records in hand; the next owner fetches them. */
  revoke(): void {
    this.#revoked = true;
    this.#initialized = false;
    this.#fetched = -1n;
    this.drop();
    if (this.#running === undefined) {
      this.#running = this.settle()
        .catch(() => {})
        .finally(() => {
          this.#running = undefined;
          // Assigned back while settling: records pushed meanwhile are waiting for a worker.
          if (this.#queue.length > 0 && !this.#host.stopped() && !this.#revoked) this.#kick();
        });
    }
  }

  /** Forgets the records in hand (stopping, restarting) and any delayed commit. */
  abandon(): void {
    this.#revoked = true;
    this.drop();
    this.#clearPending();
  }

  drop(): void {
    this.#host.release(this.#queue.length);
    this.#queue = [];
  }

  #kick(): void {
    if (this.#running !== undefined) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#queue.length > 0 && !this.#host.stopped() && !this.#revoked) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    const host = this.#host;
    try {
      while (this.#queue.length > 0 && !host.stopped() && !this.#revoked) {
        const rebalancing = host.rebalancing();
        if (rebalancing !== undefined) {
          await this.#flush();
          await rebalancing;
        }
        if (host.stopped() || this.#revoked) break;
        if (!this.#initialized) await this.#initialize();
        if (host.stopped() || this.#revoked) break;
        while (this.#queue.length > 0 && this.#next >= 0n && this.#queue[0]!.offset < this.#next) {
          this.#queue.shift();
          host.release(1);
        }
        if (this.#queue.length === 0) break;
        if (
          this.#next >= 0n &&
          this.#queue[0]!.offset > this.#next &&
          !(await this.#removedBefore(this.#queue[0]!.offset))
        ) {
          // Fetched from where this member was before the last rebalance, past the group's offset:
          // not ours to start with. The client fetches again from the committed offset after every
          // join; take the records from there.
          this.drop();
          this.#fetched = -1n;
          break;
        }
        await this.#deliverRange();
      }
    } catch {
      // A commit kept failing (this member was removed from the group, or Kafka is gone). The records
      // in hand cannot be acknowledged: start over with a new client, from the committed offsets.
      this.drop();
      this.#revoked = true;
      if (!host.stopped()) host.failed();
    }
    if (this.#revoked || host.stopped() || host.rebalancing() !== undefined)
      await this.settle().catch(() => {});
    else if (this.#pending !== undefined && this.#timer === undefined) this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flushSoon();
    }, this.#host.timing.commitDelayMs);
    this.#timer.unref?.();
  }

  /** Commits a delayed offset now unless the worker is busy (it commits when it is done). */
  flushSoon(): void {
    if (this.#pending === undefined || this.#running !== undefined) return;
    this.#running = this.#flush()
      .catch(() => {})
      .finally(() => {
        this.#running = undefined;
        if (this.#queue.length > 0 && !this.#host.stopped() && !this.#revoked) this.#kick();
      });
  }

  #clearPending(): void {
    this.#pending = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Commits the delayed offset, if any. */
  async #flush(): Promise<void> {
    const next = this.#pending;
    if (next === undefined) return;
    this.#clearPending();
    await this.#commit(next, { offset: next, count: 1, deliveries: 0, member: '', at: 0 });
  }

  /** Leaves the partition tidy for its next owner: delayed offset committed, unstarted records given back. */
  async settle(): Promise<void> {
    await this.#flush();
    await this.#releasePremark();
  }

  /**
   * Reads the committed offset and marker. While the marker says another member is handling records
   * from the committed offset on (and it is not older than the handoff timeout), waits for that
   * member to commit, so two members never run handlers of one partition at the same time.
   */
  async #initialize(): Promise<void> {
    const host = this.#host;
    for (;;) {
      const committed = await host.readCommitted(this.partition);
      const m = committed.marker;
      const me = host.memberId();
      const heldElsewhere =
        m !== undefined &&
        m.offset === committed.offset &&
        m.deliveries > 0 &&
        m.member !== '' &&
        m.member !== me &&
        !host.isFormerMember(m.member) &&
        Date.now() - m.at < host.timing.handoffTimeoutMs;
      if (!heldElsewhere || host.stopped() || this.#revoked) {
        this.#next = committed.offset;
        this.#marker = m;
        this.#inherited = m !== undefined && m.deliveries > 0 && m.member !== me ? m : undefined;
        this.#initialized = true;
        return;
      }
      await sleep(50);
    }
  }

  /** Whether the records between the group's offset and `offset` are gone (removed by retention). */
  async #removedBefore(offset: bigint): Promise<boolean> {
    const start = await this.#host.logStart(this.partition);
    return start > this.#next && start <= offset;
  }

  /** How many records from the head of the queue have consecutive offsets (at least 1, at most `max`). */
  #contiguous(max: number): number {
    let n = 0;
    let expected = this.#queue[0]?.offset;
    for (const r of this.#queue) {
      if (n >= max || r.offset !== expected) break;
      n++;
      expected = r.offset + 1n;
    }
    return Math.max(1, n);
  }

  /**
   * Handles the records in hand from the head of the queue under one marker: the marker is committed
   * before the first handler runs (unless the previous commit already marked them), the offset after
   * the last one handled is committed when they are done. Records a previous delivery did not finish
   * (the marker counts a delivery) are taken one at a time, so a poison record is singled out.
   */
  async #deliverRange(): Promise<void> {
    const host = this.#host;
    const first = this.#queue[0]!.offset;
    // A delayed commit is folded into this range's marker commit below, unless there is a gap
    // (records removed by retention, see #drain) between them.
    if (this.#pending !== undefined && this.#pending !== first) await this.#flush();
    this.#next = first;
    const me = host.memberId();
    const held = this.#marker;
    let range: DeliveryMarker;
    if (held !== undefined && held.offset === first && held.member === me && held.deliveries > 0) {
      range = held; // marked as taken by this member when the previous range was committed
    } else {
      // Records of a range another delivery did not finish count that delivery, and go one at a time.
      const previous = Math.max(previousDeliveries(held, first), previousDeliveries(this.#inherited, first));
      range = {
        offset: first,
        count: previous > 0 ? 1 : this.#contiguous(host.prefetch),
        deliveries: previous + 1,
        member: me,
        at: Date.now(),
      };
      this.#clearPending();
      await this.#commit(first, range);
    }
    const end = range.offset + BigInt(range.count);
    let next = first;
    while (next < end && this.#queue[0]?.offset === next) {
      if (next !== first && (host.stopped() || this.#revoked || host.rebalancing() !== undefined)) break;
      const record = this.#queue.shift()!;
      host.release(1);
      if ((await host.deliver(record, range.deliveries)) === 'abandon') {
        // Stopping: leave the record for the next owner, counted, without making it wait for this member.
        await this.#commit(next, {
          offset: next,
          count: 1,
          deliveries: range.deliveries,
          member: '',
          at: Date.now(),
        });
        this.#next = next;
        this.drop();
        return;
      }
      next++;
      this.#next = next;
    }
    await this.#advance(next);
  }

  /**
   * Commits `next` after a range was handled. When records from `next` on are already in hand, the
   * same commit marks them as the next range taken by this member (one commit per range). Otherwise
   * the commit waits up to commitDelayMs: if a record arrives by then, its marker commit carries the
   * offset too (a trickle of records costs one commit each, not two); a crash in between only
   * redelivers records that were already handled (at-least-once).
   */
  async #advance(next: bigint): Promise<void> {
    const host = this.#host;
    const following = this.#queue[0];
    const steady = !this.#revoked && !host.stopped() && host.rebalancing() === undefined;
    const taken = following !== undefined && following.offset === next && steady;
    if (!taken && steady && following === undefined && host.timing.commitDelayMs > 0) {
      this.#pending = next;
      this.#next = next;
      return;
    }
    this.#clearPending();
    // Inside a range an earlier delivery did not finish, records keep their count and go one at a time.
    const previous = previousDeliveries(this.#inherited, next);
    await this.#commit(next, {
      offset: next,
      count: taken && previous === 0 ? this.#contiguous(host.prefetch) : 1,
      deliveries: taken ? previous + 1 : 0,
      member: taken ? host.memberId() : '',
      at: taken ? Date.now() : 0,
    });
    this.#next = next;
  }

  /** Records marked as taken but never started are given back: their marker loses that delivery. */
  async #releasePremark(): Promise<void> {
    const m = this.#marker;
    if (m === undefined || m.member === '' || m.member !== this.#host.memberId() || m.deliveries === 0)
      return;
    await this.#commit(m.offset, { ...m, deliveries: m.deliveries - 1, member: '' });
  }

  async #commit(offset: bigint, marker: DeliveryMarker): Promise<void> {
    const host = this.#host;
    const started = Date.now();
    await retry(
      async () => {
        try {
          await host.commit(this.partition, offset, encodeMarker(marker));
        } catch (cause) {
          throw new BrokerUnavailableError(
            `Kafka did not commit offset ${offset} of ${host.describe(this.partition)}: ${cause instanceof Error ? cause.message : String(cause)}`,
            { cause },
          );
        }
      },
      {
        // Long enough to ride out a rebalance (the next generation accepts the commit).
        retries: 1000,
        initialDelayMs: 50,
        maxDelayMs: 500,
        isRetriable: () => Date.now() - started < host.timing.rebalanceTimeoutMs && !host.clientClosed(),
      },
    );
    this.#marker = marker;
  }
}
