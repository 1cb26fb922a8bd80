import { Command, CommanderError } from 'commander';
import { isFactumError } from '../core/errors.js';
import { resetOffsetsCommand } from './kafka-commands.js';
import { CliUsageError } from './load-registry.js';
import { migrateCommand } from './migrate-command.js';
import { registerProjectionCommands } from './projections.js';
import { inboxPruneCommand, outboxPruneCommand } from './retention-commands.js';
import { type CliIo, schemaCheck, schemaExport, schemaLock } from './schema-commands.js';

export type { CliIo } from './schema-commands.js';

/**
 * Runs the `factum` command line with `argv` (without the node and script entries) and returns the
 * exit code: 0 success, 1 a failed check, 2 a usage or load error.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = 0;
  const program = new Command('factum')
    .description('Factum: event sourcing, CQRS and messaging for TypeScript')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();
  const schema = program
    .command('schema')
    .description('Event schemas: lock file, compatibility check, export');
  const registryOption = [
    '--registry <module>',
    'module exporting `registry` (default: factum.config.{ts,mts,mjs,js})',
  ] as const;
  const lockOption = [
    '--lock <file>',
    'lock file (default: the module’s `schemaLock`, else factum.schema.lock.json)',
  ] as const;
  schema
    .command('lock')
    .description('write the registered schemas to the lock file (commit it)')
    .option(...registryOption)
    .option(...lockOption)
    .action(async (flags) => {
      exitCode = await schemaLock(io, flags);
    });
  schema
    .command('check')
    .description('compare the registered schemas with the lock file; exit 1 on a breaking change')
    .option(...registryOption)
    .option(...lockOption)
    .action(async (flags) => {
      exitCode = await schemaCheck(io, flags);
    });
  schema
    .command('export')
    .description('export the registry as a contract document')
    .option('--asyncapi', 'AsyncAPI 3.0 (JSON)')
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--title <title>', 'info.title of the document', 'Factum events')
    .option('--doc-version <version>', 'info.version of the document', '1.0.0')
    .option(...registryOption)
    .action(async (flags) => {
      exitCode = await schemaExport(io, flags);
    });

  registerProjectionCommands(program, io, (code) => {
    exitCode = code;
  });
  program
    .command('migrate')
    .description('apply pending migrations: postgres://… (one schema) or sqlite:<file>')
    .argument('<url>', 'store URL')
    .option('--schema <name>', 'PostgreSQL schema', 'factum')
    .action(async (url: string, flags) => {
      exitCode = await migrateCommand(io, url, flags);
    });

  const olderThan = [
    '--older-than <duration>',
    'how old a row must be to go: 7d, 12h, 30m, 45s, 500ms, 1d12h',
  ] as const;
  const storeOption = [
    '--store <url>',
    'sqlite:<file> or postgres://… (default: $FACTUM_STORE_URL)',
  ] as const;
  const schemaOption = ['--schema <name>', 'PostgreSQL schema (default: factum)'] as const;
  const batchOption = ['--batch-size <rows>', 'rows looked at per transaction (default 1000)'] as const;
  program
    .command('outbox')
    .description('the transactional outbox table')
    .command('prune')
    .description(
      'delete outbox rows published longer ago than --older-than, in short batches; unpublished rows and each stream’s newest row stay',
    )
    .requiredOption(...olderThan)
    .option(...storeOption)
    .option(...schemaOption)
    .option(...batchOption)
    .action(async (flags) => {
      exitCode = await outboxPruneCommand(io, flags);
    });
  program
    .command('inbox')
    .description('the inbox of idempotent consumers')
    .command('prune')
    .description(
      'delete inbox records processed longer ago than --older-than (the dedup window: keep it longer than the broker may redeliver)',
    )
    .requiredOption(...olderThan)
    .option('--consumer <name>', 'only this consumer’s records')
    .option(...storeOption)
    .option(...schemaOption)
    .option(...batchOption)
    .action(async (flags) => {
      exitCode = await inboxPruneCommand(io, flags);
    });

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
    .action(async (group: string, flags) => {
      exitCode = await resetOffsetsCommand(io, group, flags);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliUsageError || isFactumError(error)) {
      io.err(`factum: ${(error as Error).message}\n`);
      return 2;
    }
    io.err(`factum: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  }
}

function processIo(): CliIo {
  return {
    cwd: process.cwd(),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}
