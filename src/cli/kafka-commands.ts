import type { Command } from 'commander';
import type { CliExit, CliIo } from './io.js';

/** Adds `factum kafka reset-offsets <group>` to `program`. */
export function registerKafkaCommands(program: Command, io: CliIo, exit: CliExit): void {
  program
    .command('kafka')
    .description('Kafka operations')
    .command('reset-offsets')
    .description('move a stopped consumer group to the beginning, the end or a time, to replay from there')
    .argument('<group>', 'the group name, as given to consume()')
    .option('--brokers <list>', 'bootstrap servers (default: FACTUM_KAFKA_BROKERS, else 127.0.0.1:9092)')
    .option('--topic <topic>', 'the events topic (default: factum.events)')
    .option('--group-id-prefix <prefix>', 'the prefix the broker adapter puts before group names')
    .option('--to-earliest', 'replay everything Kafka still keeps')
    .option('--to-latest', 'skip to the end')
    .option('--to-datetime <iso>', 'resume at the first event at or after this time')
    .action(async (group: string, flags: ResetOffsetsFlags) =>
      exit(await resetOffsetsCommand(io, group, flags)),
    );
}

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
