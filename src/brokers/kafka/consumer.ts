import type * as Kafka from '@platformatic/kafka';
import { BrokerUnavailableError } from '../../core/errors.js';
import { retry, sleep } from '../../core/retry.js';
import type { Consumer, GroupOptions, MessageHandler } from '../broker.js';
import { type ResolvedConsumeOptions, runDelivery } from '../shared/delivery.js';
import type { KafkaConsumerHost } from './host.js';
import {
  commitWithMetadata,
  type DeliveryMarker,
  encodeMarker,
  previousDeliveries,
  readCommitted,
} from './offsets.js';
import { attributesOf, fromKafkaRecord, headerRecord } from './wire.js';

type KafkaRecord = Kafka.Message;

/** One partition this consumer owns (or owned): its records in hand, processed one at a time. */
interface Lane {
  readonly partition: number;
  queue: KafkaRecord[];
  /** Next offset expected from the fetcher; older records are duplicates of ones in hand or done. */
  fetched: bigint;
  /** Next offset to handle (the committed position); -1n when the group has none. */
  next: bigint;
  /** The marker last committed for this partition, as far as this consumer knows. */
  marker: DeliveryMarker | undefined;
  /** The marker found when the partition was taken over: its records count their earlier deliveries. */
  inherited: DeliveryMarker | undefined;
  initialized: boolean;
  revoked: boolean;
  running: Promise<void> | undefined;
  /** Handled up to here but not yet committed (see #advance); undefined when nothing waits. */
  pending: bigint | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * One member of a consumer group. Records are handled one at a time per partition, in offset order
 * (so per stream, as the key is the stream id), partitions side by side. The offset is committed
 * only after the handler succeeded or the record was dead-lettered, never automatically. Each commit
 * also stores a delivery marker (see offsets.ts): it counts deliveries across crashes and lets the
 * next owner of a partition wait until the previous owner finished the record it was handling.
 */
export class KafkaConsumer implements Consumer {
  readonly group: string;
  readonly #host: KafkaConsumerHost;
  readonly #groupId: string;
  readonly #filter: GroupOptions;
  readonly #options: ResolvedConsumeOptions;
  readonly #handler: MessageHandler;
  readonly #abort = new AbortController();
  readonly #lanes = new Map<number, Lane>();
  #client: Kafka.Consumer | undefined;
  #stream: Kafka.MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #pump: Promise<void> | undefined;
  #pending = 0;
  #resume: (() => void) | undefined;
  #stopped = false;
  /** Set while the group rebalances: lanes finish the record in hand but start no new one. */
  #rebalancing: Promise<void> | undefined;
  #rebalanced: (() => void) | undefined;
  #recovering: Promise<void> | undefined;
  /** Member ids this consumer had before it reconnected: their markers are its own. */
  readonly #formerMembers = new Set<string>();

  constructor(
    host: KafkaConsumerHost,
    filter: GroupOptions,
    options: ResolvedConsumeOptions,
    handler: MessageHandler,
  ) {
    this.#host = host;
    this.group = filter.group;
    this.#groupId = host.groupId(filter.group);
    this.#filter = filter;
    this.#options = options;
    this.#handler = handler;
  }

  /** This member's id in the group (null before it joined). */
  get memberId(): string | null {
    return this.#client?.memberId ?? null;
  }

  async start(): Promise<void> {
    await this.#connect();
  }

  /** Joins the group with a new client and starts fetching. */
  async #connect(): Promise<void> {
    const { lib, timing } = this.#host;
    const client = new lib.Consumer({
      ...this.#host.clientOptions(),
      groupId: this.#groupId,
      sessionTimeout: timing.sessionTimeoutMs,
      heartbeatInterval: timing.heartbeatIntervalMs,
      rebalanceTimeout: timing.rebalanceTimeoutMs,
      maxWaitTime: timing.maxWaitMs,
      autocommit: false,
    });
    client.on('consumer:group:rebalance', () => {
      if (client === this.#client) this.#onRebalance();
    });
    client.on('consumer:group:join', () => {
      if (client === this.#client) this.#onAssignment();
    });
    this.#client = client;
    let stream: Kafka.MessagesStream<Buffer, Buffer, Buffer, Buffer>;
    try {
      stream = await client.consume({
        topics: [this.#host.topic],
        mode: lib.MessagesStreamModes.COMMITTED,
        fallbackMode: lib.MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
        highWaterMark: this.#options.prefetch,
      });
    } catch (cause) {
      await closeClient(client);
      throw new BrokerUnavailableError(
        `Kafka consumer of group ${this.#groupId} could not join on topic ${this.#host.topic}: ${message(cause)}`,
        { cause },
      );
    }
    stream.on('error', () => {});
    this.#stream = stream;
    if (this.#stopped) {
      await stream.close().catch(() => {});
      await closeClient(client);
      return;
    }
    this.#onAssignment();
    this.#pump = this.#run(stream);
  }

  async #run(stream: AsyncIterable<KafkaRecord>): Promise<void> {
    let failure: unknown;
    try {
      for await (const record of stream) {
        if (this.#stopped) break;
        this.#dispatch(record);
        if (this.#pending >= this.#options.prefetch && !this.#stopped) {
          await new Promise<void>((resolve) => {
            this.#resume = resolve;
          });
        }
      }
    } catch (error) {
      failure = error;
    }
    if (!this.#stopped) this.#recovering = this.#recover(failure);
  }

  /**
   * The fetch stream failed for good (the broker went away longer than the client's retries): let
   * the records in hand finish, drop the rest, leave with the old client and join again with a new
   * one, with backoff, until it works or the consumer is stopped. Whatever was not committed is
   * delivered again (at-least-once).
   */
  async #recover(failure: unknown): Promise<void> {
    this.#host.emitter.emit('broker.disconnected', failure instanceof Error ? { error: failure } : {});
    const old = this.#client;
    if (old?.memberId) this.#formerMembers.add(old.memberId);
    for (const lane of this.#lanes.values()) {
      lane.revoked = true;
      this.#drop(lane);
      this.#clearPending(lane);
    }
    if (old !== undefined) await closeClient(old);
    await Promise.all([...this.#lanes.values()].map((l) => l.running));
    this.#lanes.clear();
    this.#pending = 0;
    this.#rebalanced?.();
    let attempts = 0;
    try {
      await retry(
        async () => {
          attempts++;
          if (!this.#stopped) await this.#connect();
        },
        {
          retries: Number.MAX_SAFE_INTEGER,
          initialDelayMs: 250,
          maxDelayMs: 5000,
          signal: this.#abort.signal,
          isRetriable: () => !this.#stopped,
        },
      );
      if (!this.#stopped) this.#host.emitter.emit('broker.reconnected', { attempts });
    } catch {
      // Stopped while reconnecting.
    }
  }

  #assigned(): Set<number> {
    const out = new Set<number>();
    for (const a of this.#client?.assignments ?? []) {
      if (a.topic === this.#host.topic) for (const p of a.partitions) out.add(p);
    }
    return out;
  }

  /**
   * A rebalance started: until the new assignment arrives no lane starts a record, so a partition
   * that moves has at most the one record in hand, which the new owner waits for (see #initialize).
   */
  #onRebalance(): void {
    if (this.#rebalancing !== undefined) return;
    this.#rebalancing = new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.#host.timing.rebalanceTimeoutMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#rebalancing = undefined;
        self.#rebalanced = undefined;
        resolve();
      }
      this.#rebalanced = done;
    });
    // Commit what was handled now, so a partition that moves is not held up by a delayed commit.
    for (const lane of this.#lanes.values()) this.#flushSoon(lane);
  }

  /** After a rebalance: partitions this member lost drop the records in hand (the next owner fetches them). */
  #onAssignment(): void {
    this.#rebalanced?.();
    const assigned = this.#assigned();
    for (const lane of this.#lanes.values()) {
      if (!assigned.has(lane.partition) && !lane.revoked) this.#revoke(lane);
    }
  }

  #revoke(lane: Lane): void {
    lane.revoked = true;
    lane.initialized = false;
    lane.fetched = -1n;
    this.#drop(lane);
    if (lane.running === undefined) {
      lane.running = this.#settle(lane)
        .catch(() => {})
        .finally(() => {
          lane.running = undefined;
        });
    }
  }

  #drop(lane: Lane): void {
    this.#release(lane.queue.length);
    lane.queue = [];
  }

  #release(n: number): void {
    this.#pending -= n;
    if (this.#pending < this.#options.prefetch && this.#resume !== undefined) {
      const resume = this.#resume;
      this.#resume = undefined;
      resume();
    }
  }

  #dispatch(record: KafkaRecord): void {
    if (!this.#assigned().has(record.partition)) return; // a revoked partition's record, fetched before the rebalance
    let lane = this.#lanes.get(record.partition);
    if (lane === undefined) {
      lane = {
        partition: record.partition,
        queue: [],
        fetched: -1n,
        next: -1n,
        marker: undefined,
        inherited: undefined,
        initialized: false,
        revoked: false,
        running: undefined,
        pending: undefined,
        timer: undefined,
      };
      this.#lanes.set(record.partition, lane);
    }
    if (lane.revoked) lane.revoked = false; // assigned again
    if (lane.fetched >= 0n && record.offset < lane.fetched) return; // fetched again after a rebalance
    lane.fetched = record.offset + 1n;
    lane.queue.push(record);
    this.#pending++;
    this.#kick(lane);
  }

  /** Starts the lane's worker unless it runs; the worker restarts itself while records are left. */
  #kick(lane: Lane): void {
    if (lane.running !== undefined) return;
    lane.running = this.#drain(lane).finally(() => {
      lane.running = undefined;
      if (lane.queue.length > 0 && !this.#stopped && !lane.revoked) this.#kick(lane);
    });
  }

  async #drain(lane: Lane): Promise<void> {
    try {
      while (lane.queue.length > 0 && !this.#stopped && !lane.revoked) {
        if (this.#rebalancing !== undefined) {
          await this.#flush(lane);
          await this.#rebalancing;
        }
        if (this.#stopped || lane.revoked) break;
        if (!lane.initialized) await this.#initialize(lane);
        if (this.#stopped || lane.revoked) break;
        while (lane.queue.length > 0 && lane.next >= 0n && lane.queue[0]!.offset < lane.next) {
          lane.queue.shift();
          this.#release(1);
        }
        if (lane.queue.length > 0) await this.#deliverRange(lane);
      }
    } catch {
      // A commit kept failing (this member was removed from the group, or Kafka is gone). The records
      // in hand cannot be acknowledged: start over with a new client, from the committed offsets.
      this.#drop(lane);
      lane.revoked = true;
      if (!this.#stopped) void this.#stream?.close().catch(() => {});
    }
    if (lane.revoked || this.#stopped || this.#rebalancing !== undefined)
      await this.#settle(lane).catch(() => {});
    else if (lane.pending !== undefined && lane.timer === undefined) this.#schedule(lane);
  }

  #schedule(lane: Lane): void {
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      this.#flushSoon(lane);
    }, this.#host.timing.commitDelayMs);
    lane.timer.unref?.();
  }

  /** Commits a delayed offset now unless the lane's worker is busy (it commits when it is done). */
  #flushSoon(lane: Lane): void {
    if (lane.pending === undefined || lane.running !== undefined) return;
    lane.running = this.#flush(lane)
      .catch(() => {})
      .finally(() => {
        lane.running = undefined;
        if (lane.queue.length > 0 && !this.#stopped && !lane.revoked) this.#kick(lane);
      });
  }

  #clearPending(lane: Lane): void {
    lane.pending = undefined;
    if (lane.timer !== undefined) clearTimeout(lane.timer);
    lane.timer = undefined;
  }

  /** Commits the delayed offset, if any. */
  async #flush(lane: Lane): Promise<void> {
    const next = lane.pending;
    if (next === undefined) return;
    this.#clearPending(lane);
    await this.#commit(lane, next, { offset: next, count: 1, deliveries: 0, member: '', at: 0 });
  }

  /** Leaves the partition tidy for its next owner: delayed offset committed, unstarted record given back. */
  async #settle(lane: Lane): Promise<void> {
    await this.#flush(lane);
    await this.#releasePremark(lane);
  }

  /**
   * Reads the committed offset and marker. While the marker says another member is handling the
   * record at the committed offset (and it is not older than the handoff timeout), waits for that
   * member to commit, so two members never run handlers of one partition at the same time.
   */
  async #initialize(lane: Lane): Promise<void> {
    const { admin, topic, timing } = this.#host;
    for (;;) {
      const committed = (await readCommitted(admin, this.#groupId, topic, [lane.partition])).get(
        lane.partition,
      )!;
      const m = committed.marker;
      const me = this.#client?.memberId ?? '';
      const heldElsewhere =
        m !== undefined &&
        m.offset === committed.offset &&
        m.deliveries > 0 &&
        m.member !== '' &&
        m.member !== me &&
        !this.#formerMembers.has(m.member) &&
        Date.now() - m.at < timing.handoffTimeoutMs;
      if (!heldElsewhere || this.#stopped || lane.revoked) {
        lane.next = committed.offset;
        lane.marker = m;
        lane.inherited = m !== undefined && m.deliveries > 0 && m.member !== me ? m : undefined;
        lane.initialized = true;
        return;
      }
      await sleep(50);
    }
  }

  /** How many records from the head of the queue have consecutive offsets (at most `max`). */
  #contiguous(lane: Lane, max: number): number {
    let n = 0;
    let expected = lane.queue[0]?.offset;
    for (const r of lane.queue) {
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
  async #deliverRange(lane: Lane): Promise<void> {
    const first = lane.queue[0]!.offset;
    // A delayed commit is folded into this range's marker commit below, unless there is a gap
    // (records removed by retention) between them.
    if (lane.pending !== undefined && lane.pending !== first) await this.#flush(lane);
    lane.next = first;
    const me = this.#client?.memberId ?? '';
    const held = lane.marker;
    let range: DeliveryMarker;
    if (held !== undefined && held.offset === first && held.member === me && held.deliveries > 0) {
      range = held; // marked as taken by this member when the previous range was committed
    } else {
      // Records of a range another delivery did not finish count that delivery, and go one at a time.
      const previous = Math.max(previousDeliveries(held, first), previousDeliveries(lane.inherited, first));
      range = {
        offset: first,
        count: previous > 0 ? 1 : this.#contiguous(lane, this.#options.prefetch),
        deliveries: previous + 1,
        member: me,
        at: Date.now(),
      };
      this.#clearPending(lane);
      await this.#commit(lane, first, range);
    }
    const end = range.offset + BigInt(range.count);
    let next = first;
    while (next < end && lane.queue[0]?.offset === next) {
      if (next !== first && (this.#stopped || lane.revoked || this.#rebalancing !== undefined)) break;
      const record = lane.queue.shift()!;
      this.#release(1);
      const outcome = await this.#deliverOne(record, range.deliveries);
      if (outcome === 'abandon') {
        // Stopping: leave the record for the next owner, counted, without making it wait for this member.
        await this.#commit(lane, next, {
          offset: next,
          count: 1,
          deliveries: range.deliveries,
          member: '',
          at: Date.now(),
        });
        lane.next = next;
        this.#drop(lane);
        return;
      }
      next++;
      lane.next = next;
    }
    await this.#advance(lane, next);
  }

  /** Runs one record through decode, validation, the handler with retries, and dead-lettering. */
  async #deliverOne(record: KafkaRecord, deliveryCount: number): Promise<'done' | 'abandon'> {
    const headers = headerRecord(record.headers);
    if (!this.#matches(headers)) return 'done';
    const outcome = await runDelivery(
      { decode: () => fromKafkaRecord(headers, record.value), deliveryCount },
      this.#options,
      this.#handler,
      this.#abort.signal,
      this.#host.emitter,
    );
    if (outcome.kind === 'abandon') return 'abandon';
    if (outcome.kind === 'dead-letter') {
      this.#host.emitter.emit('consumer.dead-lettered', {
        group: this.group,
        eventId: outcome.event?.id ?? headers.ce_id,
        reason: outcome.reason,
        error: outcome.error,
      });
      await retry(() => this.#host.deadLetter(this.group, record, outcome), {
        retries: Number.MAX_SAFE_INTEGER,
        initialDelayMs: 200,
        maxDelayMs: 5000,
        signal: this.#abort.signal,
      });
    }
    return 'done';
  }

  /**
   * Commits `next` after a range was handled. When records from `next` on are already in hand, the
   * same commit marks them as the next range taken by this member (one commit per range). Otherwise
   * the commit waits up to commitDelayMs: if a record arrives by then, its marker commit carries the
   * offset too (a trickle of records costs one commit each, not two); a crash in between only
   * redelivers records that were already handled (at-least-once).
   */
  async #advance(lane: Lane, next: bigint): Promise<void> {
    const following = lane.queue[0];
    const me = this.#client?.memberId ?? '';
    const steady = !lane.revoked && !this.#stopped && this.#rebalancing === undefined;
    const taken = following !== undefined && following.offset === next && steady;
    if (!taken && steady && following === undefined && this.#host.timing.commitDelayMs > 0) {
      lane.pending = next;
      lane.next = next;
      return;
    }
    this.#clearPending(lane);
    // Inside a range an earlier delivery did not finish, records keep their count and go one at a time.
    const previous = previousDeliveries(lane.inherited, next);
    await this.#commit(lane, next, {
      offset: next,
      count: taken && previous === 0 ? this.#contiguous(lane, this.#options.prefetch) : 1,
      deliveries: taken ? previous + 1 : 0,
      member: taken ? me : '',
      at: taken ? Date.now() : 0,
    });
    lane.next = next;
  }

  /** A record marked as taken but never started is given back: its marker loses that delivery. */
  async #releasePremark(lane: Lane): Promise<void> {
    const m = lane.marker;
    const me = this.#client?.memberId ?? '';
    if (m === undefined || m.member === '' || m.member !== me || m.deliveries === 0) return;
    await this.#commit(lane, m.offset, {
      offset: m.offset,
      count: m.count,
      deliveries: m.deliveries - 1,
      member: '',
      at: m.at,
    });
  }

  async #commit(lane: Lane, offset: bigint, marker: DeliveryMarker): Promise<void> {
    const client = this.#client!;
    const { lib, topic, timing } = this.#host;
    const started = Date.now();
    await retry(
      async () => {
        try {
          await commitWithMetadata(client, lib, topic, lane.partition, offset, encodeMarker(marker));
        } catch (cause) {
          throw new BrokerUnavailableError(
            `Kafka did not commit offset ${offset} of ${topic}[${lane.partition}] for group ${this.#groupId}: ${message(cause)}`,
            { cause },
          );
        }
      },
      {
        // Long enough to ride out a rebalance (the next generation accepts the commit).
        retries: 1000,
        initialDelayMs: 50,
        maxDelayMs: 500,
        isRetriable: () => Date.now() - started < timing.rebalanceTimeoutMs && !client.closed,
      },
    );
    lane.marker = marker;
  }

  #matches(headers: Readonly<Record<string, string>>): boolean {
    const { categories, types } = this.#filter;
    if (categories === undefined && types === undefined) return true;
    const attributes = attributesOf(headers);
    if (attributes.type === undefined) return true; // not a Factum event: handled (and dead-lettered) as invalid
    if (types !== undefined && !types.includes(attributes.type)) return false;
    if (categories !== undefined) {
      const category = attributes.category ?? attributes.subject?.split('-')[0];
      if (category === undefined || !categories.includes(category)) return false;
    }
    return true;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    this.#host.forget(this);
    this.#resume?.();
    this.#rebalanced?.();
    await this.#recovering;
    for (const lane of this.#lanes.values()) this.#drop(lane);
    await Promise.all([...this.#lanes.values()].map((l) => l.running));
    await Promise.all([...this.#lanes.values()].map((l) => l.running));
    await Promise.all([...this.#lanes.values()].map((l) => this.#settle(l).catch(() => {})));
    await this.#stream?.close().catch(() => {});
    if (this.#client !== undefined) await closeClient(this.#client);
    await this.#pump;
  }
}

/** Closes a client even while a stream is open (leaving the group); never rejects. */
export function closeClient(client: {
  close(force: boolean, callback: (error?: Error | null) => void): void;
}): Promise<void> {
  return new Promise((resolve) => {
    try {
      client.close(true, () => resolve());
    } catch {
      resolve();
    }
  });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
