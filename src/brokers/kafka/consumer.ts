import type * as Kafka from '@platformatic/kafka';
import { BrokerUnavailableError } from '../../core/errors.js';
import { retry } from '../../core/retry.js';
import type { Consumer, GroupOptions, MessageHandler } from '../../messaging/broker.js';
import { type ResolvedConsumeOptions, runDelivery } from '../shared/delivery.js';
import { errorMessage } from '../shared/errors.js';
import { listOffsets } from './admin.js';
import type { KafkaConsumerHost } from './host.js';
import { type KafkaRecord, type LaneHost, PartitionLane } from './lane.js';
import { commitWithMetadata, encodeMarker, readCommitted } from './offsets.js';
import { attributesOf, fromKafkaRecord, headerRecord } from './wire.js';

/**
 * One member of a consumer group. Each assigned partition is a lane (lane.ts) that handles its
 * records in offset order — so per stream, as the key is the stream id — with partitions side by
 * side. Offsets are committed only after the handlers succeeded or the records were dead-lettered,
 * never automatically, each commit with a delivery marker (offsets.ts). During a rebalance no lane
 * starts new records; a fetch stream that fails for good makes the member join again with a new
 * client.
 */
export class KafkaConsumer implements Consumer {
  readonly group: string;
  readonly #host: KafkaConsumerHost;
  readonly #groupId: string;
  readonly #filter: GroupOptions;
  readonly #options: ResolvedConsumeOptions;
  readonly #handler: MessageHandler;
  readonly #abort = new AbortController();
  readonly #lanes = new Map<number, PartitionLane>();
  readonly #laneHost: LaneHost;
  #client: Kafka.Consumer | undefined;
  #stream: Kafka.MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #pump: Promise<void> | undefined;
  /** Records fetched and not yet taken by a handler, over all lanes (bounded by prefetch). */
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
    this.#laneHost = {
      prefetch: options.prefetch,
      timing: host.timing,
      stopped: () => this.#stopped,
      rebalancing: () => this.#rebalancing,
      memberId: () => this.#client?.memberId ?? '',
      isFormerMember: (member) => this.#formerMembers.has(member),
      clientClosed: () => this.#client?.closed ?? true,
      readCommitted: async (partition) =>
        (await readCommitted(host.admin, this.#groupId, host.topic, [partition])).get(partition)!,
      logStart: async (partition) =>
        (await listOffsets(host.admin, host.topic, [partition], -2n)).get(partition) ?? 0n,
      commit: (partition, offset, metadata) =>
        commitWithMetadata(this.#client!, host.lib, host.topic, partition, offset, metadata),
      describe: (partition) => `${host.topic}[${partition}] for group ${this.#groupId}`,
      deliver: (record, deliveryCount) => this.#deliver(record, deliveryCount),
      release: (n) => this.#release(n),
      failed: () => {
        void this.#stream?.close().catch(() => {});
      },
    };
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
        `Kafka consumer of group ${this.#groupId} could not join on topic ${this.#host.topic}: ${errorMessage(cause)}`,
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
    for (const lane of this.#lanes.values()) lane.abandon();
    if (old !== undefined) {
      // Still a member: move partitions whose records at the committed offset are gone (retention)
      // to the log start, or the next fetch fails the same way (the client has no offset reset).
      await this.#skipRemovedRecords(old).catch(() => {});
      await closeClient(old);
    }
    await Promise.all([...this.#lanes.values()].map((l) => l.idle));
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

  async #skipRemovedRecords(client: Kafka.Consumer): Promise<void> {
    const { admin, lib, topic } = this.#host;
    const partitions = [...this.#assigned()];
    if (partitions.length === 0) return;
    const committed = await readCommitted(admin, this.#groupId, topic, partitions);
    const starts = await listOffsets(admin, topic, partitions, -2n);
    for (const p of partitions) {
      const at = committed.get(p)?.offset ?? -1n;
      const start = starts.get(p) ?? 0n;
      if (at < 0n || at >= start) continue;
      const marker = encodeMarker({ offset: start, count: 1, deliveries: 0, member: '', at: 0 });
      await commitWithMetadata(client, lib, topic, p, start, marker);
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
   * that moves has at most the records in hand, which the new owner waits for (lane.ts).
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
    for (const lane of this.#lanes.values()) lane.flushSoon();
  }

  /** After a rebalance: partitions this member lost drop the records in hand (the next owner fetches them). */
  #onAssignment(): void {
    this.#rebalanced?.();
    const assigned = this.#assigned();
    for (const lane of this.#lanes.values()) {
      if (!assigned.has(lane.partition) && !lane.revoked) lane.revoke();
    }
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
    // A revoked partition's record, fetched before the rebalance, is not ours to handle.
    if (!this.#assigned().has(record.partition)) return;
    let lane = this.#lanes.get(record.partition);
    if (lane === undefined) {
      lane = new PartitionLane(record.partition, this.#laneHost);
      this.#lanes.set(record.partition, lane);
    }
    this.#pending++;
    if (!lane.push(record)) this.#release(1);
  }

  /** Runs one record through the filter, decoding, validation, the handler with retries, and dead-lettering. */
  async #deliver(record: KafkaRecord, deliveryCount: number): Promise<'done' | 'abandon'> {
    const headers = headerRecord(record.headers);
    if (!this.#matches(headers)) return 'done';
    const outcome = await runDelivery(
      { decode: () => fromKafkaRecord(headers, record.value), deliveryCount, destination: this.#host.topic },
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
    for (const lane of this.#lanes.values()) lane.drop();
    // Twice: a worker that finished may have started a delayed commit.
    await Promise.all([...this.#lanes.values()].map((l) => l.idle));
    await Promise.all([...this.#lanes.values()].map((l) => l.idle));
    await Promise.all([...this.#lanes.values()].map((l) => l.settle().catch(() => {})));
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
