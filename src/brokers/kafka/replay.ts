import type * as Kafka from '@platformatic/kafka';
import { ErrorCodes, GroupActiveError, ValidationError } from '../../core/errors.js';
import { listOffsets } from './admin.js';

export interface ResetOffsetsOptions {
  /**
   * 'earliest': the oldest event Kafka still keeps (replay everything); 'latest': skip to the end;
   * a Date: the first event that reached Kafka at or after that time (the record timestamp).
   */
  to: 'earliest' | 'latest' | Date;
}

export interface ResetResult {
  group: string;
  topic: string;
  /** The offset each partition now resumes from. */
  partitions: { partition: number; offset: bigint }[];
}

interface ReplayHost {
  readonly admin: Kafka.Admin;
  readonly topic: string;
  groupId(group: string): string;
  partitions(): Promise<number[]>;
}

/** See KafkaBroker.resetOffsets. */
export async function resetGroupOffsets(
  host: ReplayHost,
  group: string,
  options: ResetOffsetsOptions,
): Promise<ResetResult> {
  const to = options?.to;
  const timestamp =
    to === 'earliest' ? -2n : to === 'latest' ? -1n : to instanceof Date ? BigInt(to.getTime()) : undefined;
  if (timestamp === undefined || (to instanceof Date && Number.isNaN(to.getTime()))) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'to',
      `to must be 'earliest', 'latest' or a valid Date, got ${String(to)}`,
    );
  }
  const groupId = host.groupId(group);
  const described = await host.admin.describeGroups({ groups: [groupId] });
  const state = described.get(groupId)?.state ?? 'DEAD';
  if (state !== 'EMPTY' && state !== 'DEAD') {
    throw new GroupActiveError(groupId, `reset the offsets of group ${groupId}`, state);
  }
  const partitions = await host.partitions();
  const list = (ts: bigint) => listOffsets(host.admin, host.topic, partitions, ts);
  const found = await list(timestamp);
  // A time after the last event finds no record (-1): the group resumes at the end.
  const ends = [...found.values()].some((o) => o < 0n) ? await list(-1n) : found;
  const result: ResetResult = {
    group,
    topic: host.topic,
    partitions: partitions.map((partition) => {
      const offset = found.get(partition) ?? -1n;
      return { partition, offset: offset >= 0n ? offset : (ends.get(partition) ?? 0n) };
    }),
  };
  await host.admin.alterConsumerGroupOffsets({
    groupId,
    topics: [
      {
        name: host.topic,
        partitionOffsets: result.partitions.map(({ partition, offset }) => ({ partition, offset })),
      },
    ],
  });
  return result;
}
