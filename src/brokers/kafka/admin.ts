/** Topic and group operations through the admin client: one Kafka request pattern per function. */
import type * as Kafka from '@platformatic/kafka';
import { sleep } from '../../core/retry.js';
import type { ConsumerLag } from '../../messaging/broker.js';
import { hasApiError } from './client-errors.js';
import { readCommitted } from './offsets.js';

export interface TopicSettings {
  partitions: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor: number;
  configs: Record<string, string>;
}

/** Creates the topic unless it exists, then waits (up to `timeoutMs`) until every partition has a leader. */
export async function createTopic(
  admin: Kafka.Admin,
  name: string,
  settings: TopicSettings,
  timeoutMs: number,
): Promise<void> {
  try {
    await admin.createTopics({
      topics: [name],
      partitions: settings.partitions,
      replicas: settings.replicationFactor,
      configs: Object.entries(settings.configs).map(([configName, value]) => ({ name: configName, value })),
    });
  } catch (error) {
    if (!hasApiError(error, 'TOPIC_ALREADY_EXISTS')) throw error;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const cluster = await admin.metadata({ topics: [name], forceUpdate: true });
      if (cluster.topics.get(name)?.partitions.every((p) => p.leader >= 0)) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topic ${name} has no leader after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The partition numbers of a topic (none when it does not exist). */
export async function topicPartitions(admin: Kafka.Admin, topic: string): Promise<number[]> {
  const cluster = await admin.metadata({ topics: [topic] });
  const meta = cluster.topics.get(topic);
  return meta === undefined ? [] : meta.partitions.map((_, i) => i);
}

/** Offsets by timestamp per partition: -1n the end (high watermark), -2n the log start, else a time in ms. */
export async function listOffsets(
  admin: Kafka.Admin,
  topic: string,
  partitions: readonly number[],
  timestamp: bigint,
): Promise<Map<number, bigint>> {
  const listed = await admin.listOffsets({
    topics: [
      { name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) },
    ],
  });
  const out = new Map<number, bigint>();
  for (const t of listed) for (const p of t.partitions) out.set(p.partitionIndex, p.offset);
  return out;
}

/** The group's committed offset per partition (-1n where it has none). */
export async function committedOffsets(
  admin: Kafka.Admin,
  groupId: string,
  topic: string,
  partitions: readonly number[],
): Promise<Map<number, bigint>> {
  const committed = await readCommitted(admin, groupId, topic, partitions);
  return new Map([...committed].map(([partition, { offset }]) => [partition, offset]));
}

/**
 * For the partitions where the group has committed nothing yet, commits the current end: the group
 * receives every event published from now on. Skipped while the group has running members.
 */
export async function startGroupAtEnd(admin: Kafka.Admin, groupId: string, topic: string): Promise<void> {
  const partitions = await topicPartitions(admin, topic);
  const committed = await committedOffsets(admin, groupId, topic, partitions);
  const missing = partitions.filter((p) => (committed.get(p) ?? -1n) < 0n);
  if (missing.length === 0) return;
  const ends = await listOffsets(admin, topic, missing, -1n);
  try {
    await admin.alterConsumerGroupOffsets({
      groupId,
      topics: [
        {
          name: topic,
          partitionOffsets: missing.map((partition) => ({ partition, offset: ends.get(partition) ?? 0n })),
        },
      ],
    });
  } catch {
    // The group has running members: they already decided where to start.
  }
}

/** Per partition: the high watermark minus the group's committed offset (the log start when none). */
export async function groupLag(
  admin: Kafka.Admin,
  group: string,
  groupId: string,
  topic: string,
): Promise<ConsumerLag> {
  const partitions = await topicPartitions(admin, topic);
  const committed = await committedOffsets(admin, groupId, topic, partitions);
  const ends = await listOffsets(admin, topic, partitions, -1n);
  const starts = await listOffsets(admin, topic, partitions, -2n);
  const out: ConsumerLag = { group, lag: 0, partitions: [] };
  for (const p of partitions) {
    const end = ends.get(p) ?? 0n;
    const at = committed.get(p) ?? -1n;
    const from = at >= 0n ? at : (starts.get(p) ?? 0n);
    const lag = Number(end > from ? end - from : 0n);
    out.partitions.push({ partition: `${topic}-${p}`, lag });
    out.lag += lag;
  }
  return out;
}
