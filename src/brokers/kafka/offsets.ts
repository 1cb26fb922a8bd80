/**
 * Committed offsets that also remember deliveries. Kafka has no per-message delivery count, so the
 * adapter keeps one in the metadata string of the group's committed offset: before handlers run on
 * the records o … o+n-1, the committed offset is o and its metadata says "these n records have been
 * delivered d times, the last time to member m at t". A consumer that crashes leaves that marker
 * behind; the next owner of the partition reads it, counts one more delivery for those records and
 * takes them one at a time (so a poison record that kills every consumer is singled out and ends in
 * the dead-letter topic after maxDeliveries), and — while the marker is fresh and names another
 * member — waits for that member to finish and commit, so a rebalance never runs two handlers of one
 * stream at once.
 */
import type * as Kafka from '@platformatic/kafka';

export interface DeliveryMarker {
  /** The first record the marker is about (equal to the committed offset it is stored with). */
  offset: bigint;
  /** How many records from `offset` on it covers (at least 1). */
  count: number;
  /** Deliveries of that record so far. */
  deliveries: number;
  /** Member id holding the record right now ('' when nobody does). */
  member: string;
  /** When that member took it (ms since the epoch). */
  at: number;
}

const PREFIX = 'factum:';

export function encodeMarker(marker: DeliveryMarker): string {
  return `${PREFIX}${JSON.stringify({ o: marker.offset.toString(), n: marker.count, d: marker.deliveries, m: marker.member, t: marker.at })}`;
}

/** The marker in a committed offset's metadata, or undefined when there is none (or someone else's). */
export function decodeMarker(metadata: string | null | undefined): DeliveryMarker | undefined {
  if (typeof metadata !== 'string' || !metadata.startsWith(PREFIX)) return undefined;
  try {
    const raw = JSON.parse(metadata.slice(PREFIX.length)) as {
      o?: unknown;
      n?: unknown;
      d?: unknown;
      m?: unknown;
      t?: unknown;
    };
    if (typeof raw.o !== 'string' || !/^\d{1,19}$/.test(raw.o)) return undefined;
    if (typeof raw.d !== 'number' || !Number.isSafeInteger(raw.d) || raw.d < 0) return undefined;
    return {
      offset: BigInt(raw.o),
      count: typeof raw.n === 'number' && Number.isSafeInteger(raw.n) && raw.n >= 1 ? raw.n : 1,
      deliveries: raw.d,
      member: typeof raw.m === 'string' ? raw.m : '',
      at: typeof raw.t === 'number' ? raw.t : 0,
    };
  } catch {
    return undefined;
  }
}

/** Deliveries already made of the record at `offset`, according to the committed marker. */
export function previousDeliveries(marker: DeliveryMarker | undefined, offset: bigint): number {
  if (marker === undefined) return 0;
  return offset >= marker.offset && offset < marker.offset + BigInt(marker.count) ? marker.deliveries : 0;
}

export interface CommittedOffset {
  /** -1n when the group has committed nothing for the partition. */
  offset: bigint;
  marker: DeliveryMarker | undefined;
}

/** The group's committed offsets (with markers) for the given partitions of a topic. */
export async function readCommitted(
  admin: Kafka.Admin,
  groupId: string,
  topic: string,
  partitions: readonly number[],
): Promise<Map<number, CommittedOffset>> {
  const groups = await admin.listConsumerGroupOffsets({
    groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [...partitions] }] }],
  });
  const out = new Map<number, CommittedOffset>();
  for (const p of partitions) out.set(p, { offset: -1n, marker: undefined });
  for (const group of groups) {
    for (const t of group.topics) {
      if (t.name !== topic) continue;
      for (const p of t.partitions) {
        out.set(p.partitionIndex, { offset: p.committedOffset, marker: decodeMarker(p.metadata) });
      }
    }
  }
  return out;
}

type OffsetCommitApi = Kafka.API<
  [
    groupId: string,
    generationIdOrMemberEpoch: number,
    memberId: string | null,
    groupInstanceId: string | null,
    topics: {
      name: string;
      partitions: {
        partitionIndex: number;
        committedOffset: bigint;
        committedLeaderEpoch: number;
        committedMetadata?: string | null;
      }[];
    }[],
  ],
  unknown
>;

/**
 * Commits `offset` for one partition as the consumer's current group member, with `metadata`. The
 * client's own commit() always sends null metadata, so this goes through the OffsetCommit API on the
 * group coordinator's connection. Rejects with the protocol error (for example a rebalance in
 * progress, or an unknown member after being removed from the group).
 */
export async function commitWithMetadata(
  client: Kafka.Consumer,
  lib: typeof Kafka,
  topic: string,
  partition: number,
  offset: bigint,
  metadata: string,
): Promise<void> {
  const coordinatorId = client.coordinatorId ?? (await client.findGroupCoordinator());
  const cluster = await client.metadata({ topics: [topic] });
  const broker = cluster.brokers.get(coordinatorId);
  if (broker === undefined)
    throw new Error(`group coordinator ${coordinatorId} is not in the cluster metadata`);
  const connection = await new Promise<Kafka.Connection>((resolve, reject) =>
    client[lib.kGetConnection](broker, (error, c) =>
      error ? reject(error) : resolve(c as Kafka.Connection),
    ),
  );
  const api = await new Promise<OffsetCommitApi>((resolve, reject) =>
    client[lib.kGetApi]('OffsetCommit', (error, a) =>
      error ? reject(error) : resolve(a as unknown as OffsetCommitApi),
    ),
  );
  await api.async(connection, client.groupId, client.generationId, client.memberId, null, [
    {
      name: topic,
      partitions: [
        {
          partitionIndex: partition,
          committedOffset: offset,
          committedLeaderEpoch: -1,
          committedMetadata: metadata,
        },
      ],
    },
  ]);
}
