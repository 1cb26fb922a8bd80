import type { CliIo } from './schema-commands.js';

export interface ResetOffsetsFlags {
  brokers?: string;
  topic?: string;
  groupIdPrefix?: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toDatetime?: string;
}

/**
 * `factum kafka reset-offsets <group>`: moves a stopped consumer group to the beginning, the end or a
 * point in time, so its next run replays from there (rebuilding a downstream read model). Exit 0 on
 * success, 2 on bad usage; a group with running members is refused (FACTUM_GROUP_ACTIVE).
 */
export async function resetOffsetsCommand(
  io: CliIo,
  group: string,
  flags: ResetOffsetsFlags,
): Promise<number> {
  const chosen = [flags.toEarliest, flags.toLatest, flags.toDatetime !== undefined].filter(Boolean).length;
  if (chosen !== 1) {
    io.err(
      'factum kafka reset-offsets: give exactly one of --to-earliest, --to-latest, --to-datetime <iso>\n',
    );
    return 2;
  }
  let to: 'earliest' | 'latest' | Date = flags.toEarliest ? 'earliest' : 'latest';
  if (flags.toDatetime !== undefined) {
    to = new Date(flags.toDatetime);
    if (Number.isNaN(to.getTime())) {
      io.err(`factum kafka reset-offsets: --to-datetime ${flags.toDatetime} is not a date (use ISO 8601)\n`);
      return 2;
    }
  }
  const { createKafkaBroker } = await import('../brokers/kafka/index.js');
  const broker = await createKafkaBroker({
    brokers: (flags.brokers ?? process.env.FACTUM_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    ...(flags.topic === undefined ? {} : { topic: flags.topic }),
    ...(flags.groupIdPrefix === undefined ? {} : { groupIdPrefix: flags.groupIdPrefix }),
    createTopics: false,
  });
  try {
    const result = await broker.resetOffsets(group, { to });
    io.out(`Group ${result.group} on ${result.topic} now resumes at:\n`);
    for (const p of result.partitions) io.out(`  partition ${p.partition}: offset ${p.offset}\n`);
    return 0;
  } finally {
    await broker.close();
  }
}
