// `factum outbox prune` and `factum inbox prune`: the operator's side of messaging retention.
import type { Command } from 'commander';
import { parseDuration } from '../core/duration.js';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import type { PostgresHandle } from '../messaging/postgres/handle.js';
import type { InboxPruneOptions, PruneOptions } from '../messaging/retention.js';
import type { SqliteHandle } from '../messaging/sqlite/sqlite-storage.js';
import type { CliExit, CliIo } from './io.js';
import { describeStore, type StoreFlags, schemaOption, storeOption, withStore } from './store-option.js';

export interface PruneFlags extends StoreFlags {
  olderThan: string;
  batchSize?: string;
}

export interface InboxPruneFlags extends PruneFlags {
  consumer?: string;
}

interface Pruners {
  outbox(options: PruneOptions): Promise<number>;
  inbox(options: InboxPruneOptions): Promise<number>;
  where: string;
}

/** Adds `factum outbox prune` and `factum inbox prune` to `program`. */
export function registerRetentionCommands(program: Command, io: CliIo, exit: CliExit): void {
  const olderThan = [
    '--older-than <duration>',
    'how old a row must be to go: 7d, 12h, 30m, 45s, 500ms, 1d12h',
  ] as const;
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
    .action(async (flags: PruneFlags) => exit(await outboxPruneCommand(io, flags)));
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
    .action(async (flags: InboxPruneFlags) => exit(await inboxPruneCommand(io, flags)));
}

/** `factum outbox prune --older-than 7d`: deletes published outbox rows older than that. */
export async function outboxPruneCommand(io: CliIo, flags: PruneFlags): Promise<number> {
  const options = pruneOptions(flags);
  return withPruners(io, flags, async (pruners) => {
    const deleted = await pruners.outbox(options);
    io.out(
      `Deleted ${deleted} outbox row${deleted === 1 ? '' : 's'} published before ${cutoffOf(options)} from ${pruners.where} ` +
        '(unpublished rows and the newest row of each stream are kept)\n',
    );
    return 0;
  });
}

/** `factum inbox prune --older-than 30d [--consumer <name>]`: deletes inbox records older than that. */
export async function inboxPruneCommand(io: CliIo, flags: InboxPruneFlags): Promise<number> {
  const options: InboxPruneOptions = {
    ...pruneOptions(flags),
    ...(flags.consumer === undefined ? {} : { consumer: flags.consumer }),
  };
  return withPruners(io, flags, async (pruners) => {
    const deleted = await pruners.inbox(options);
    io.out(
      `Deleted ${deleted} inbox record${deleted === 1 ? '' : 's'}${flags.consumer === undefined ? '' : ` of ${flags.consumer}`} ` +
        `processed before ${cutoffOf(options)} from ${pruners.where}\n`,
    );
    return 0;
  });
}

function pruneOptions(flags: PruneFlags): PruneOptions {
  const olderThan = new Date(Date.now() - parseDuration(flags.olderThan, '--older-than'));
  if (flags.batchSize === undefined) return { olderThan };
  const batchSize = Number(flags.batchSize);
  if (!/^\d+$/.test(flags.batchSize) || !Number.isSafeInteger(batchSize)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      '--batch-size',
      `--batch-size must be a whole number of rows, got '${flags.batchSize}'`,
    );
  }
  return { olderThan, batchSize };
}

function cutoffOf(options: PruneOptions): string {
  return (options.olderThan as Date).toISOString();
}

async function withPruners(
  io: CliIo,
  flags: PruneFlags,
  run: (pruners: Pruners) => Promise<number>,
): Promise<number> {
  return withStore(io, flags, async (store, target) => {
    // Each storage is loaded on use, like the store's driver.
    if (target.kind === 'postgres') {
      const { postgresInbox, postgresOutbox } = await import('../messaging/postgres/index.js');
      const handle = store as unknown as PostgresHandle;
      const outbox = postgresOutbox(handle);
      const inbox = postgresInbox(handle);
      return run({
        outbox: (o) => outbox.prune(o),
        inbox: (o) => inbox.prune(o),
        where: describeStore(target),
      });
    }
    const { sqliteInbox, sqliteOutbox } = await import('../messaging/sqlite/sqlite-storage.js');
    const handle = store as unknown as SqliteHandle;
    const outbox = sqliteOutbox(handle);
    const inbox = sqliteInbox(handle);
    return run({
      outbox: (o) => outbox.prune(o),
      inbox: (o) => inbox.prune(o),
      where: describeStore(target),
    });
  });
}
