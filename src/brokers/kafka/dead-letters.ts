import type * as Kafka from '@platformatic/kafka';
import type { BrokerDeadLetter } from '../../messaging/broker.js';
import { deadLetterStamp, decodeDeadLetter } from '../shared/dead-letters.js';
import type { DeadLetterOutcome } from '../shared/delivery.js';
import { listOffsets } from './admin.js';
import { fromKafkaRecord, headerRecord } from './wire.js';

/** Headers Factum adds to a dead-lettered record, beside the original ones. */
export const DeadLetterHeaders = {
  reason: 'factum-reason',
  error: 'factum-error',
  attempts: 'factum-attempts',
  group: 'factum-group',
  at: 'factum-dead-lettered-at',
  topic: 'factum-topic',
  partition: 'factum-partition',
  offset: 'factum-offset',
} as const;

/** The dead-letter record for a record that failed: same key, value and headers, plus why and where from. */
export function toDeadLetterRecord(
  topic: string,
  group: string,
  record: Pick<Kafka.Message, 'key' | 'value' | 'headers' | 'partition' | 'offset'>,
  outcome: DeadLetterOutcome,
): { key: Buffer | undefined; value: Buffer | undefined; headers: Map<Buffer, Buffer> } {
  const headers = new Map<Buffer, Buffer>();
  for (const [k, v] of record.headers) {
    if (Buffer.isBuffer(k) && Buffer.isBuffer(v)) headers.set(k, v);
  }
  const add = (name: string, value: string) => headers.set(Buffer.from(name), Buffer.from(value, 'utf8'));
  for (const [name, value] of deadLetterStamp(DeadLetterHeaders, group, outcome)) add(name, value);
  add(DeadLetterHeaders.topic, topic);
  add(DeadLetterHeaders.partition, String(record.partition));
  add(DeadLetterHeaders.offset, record.offset.toString());
  return {
    key: Buffer.isBuffer(record.key) ? record.key : undefined,
    value: Buffer.isBuffer(record.value) ? record.value : undefined,
    headers,
  };
}

/** A record as stored in a topic. */
export interface RawRecord {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** Header names and values as text. */
  headers: Record<string, string>;
  timestamp: Date;
}

export function toKafkaDeadLetter(group: string, record: RawRecord): BrokerDeadLetter {
  const value = record.value ?? undefined;
  return decodeDeadLetter(group, DeadLetterHeaders, {
    headers: record.headers,
    body: value,
    decode: () => fromKafkaRecord(record.headers, value),
    storedAt: record.timestamp,
  });
}

/**
 * Every record of a topic from its earliest offset, in offset order per partition (partitions one
 * after the other), up to `limit`. Reads with plain fetches: no group is joined, nothing committed.
 */
export async function readTopic(
  reader: Kafka.Consumer,
  admin: Kafka.Admin,
  topic: string,
  limit: number,
): Promise<RawRecord[]> {
  const cluster = await reader.metadata({ topics: [topic], forceUpdate: true });
  const meta = cluster.topics.get(topic);
  if (meta === undefined) return [];
  const partitions = meta.partitions.map((_, i) => i);
  const starts = await listOffsets(admin, topic, partitions, -2n);
  const ends = await listOffsets(admin, topic, partitions, -1n);
  const records: RawRecord[] = [];
  for (const partition of partitions) {
    let offset = starts.get(partition) ?? 0n;
    const end = ends.get(partition) ?? 0n;
    const leader = meta.partitions[partition]!.leader;
    while (offset < end && records.length < limit) {
      const response = await reader.fetch({
        node: leader,
        topics: [
          {
            topicId: meta.id,
            partitions: [
              {
                partition,
                fetchOffset: offset,
                partitionMaxBytes: 4 * 2 ** 20,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              },
            ],
          },
        ],
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 8 * 2 ** 20,
      });
      let progressed = false;
      for (const t of response.responses) {
        for (const p of t.partitions) {
          for (const batch of p.records ?? []) {
            for (const r of batch.records) {
              const at = batch.firstOffset + BigInt(r.offsetDelta);
              if (at < offset || at >= end) continue;
              records.push({
                partition,
                offset: at,
                key: r.key,
                value: r.value,
                headers: headerRecord(new Map(r.headers)),
                timestamp: new Date(Number(batch.firstTimestamp + r.timestampDelta)),
              });
              offset = at + 1n;
              progressed = true;
              if (records.length >= limit) break;
            }
          }
        }
      }
      if (!progressed) break;
    }
  }
  return records;
}
