// `factum outbox prune` and `factum inbox prune`: the operator's side of messaging retention.
import { existsSync } from 'node:fs';
import { parseDuration } from '../core/duration.js';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import type { EventStore } from '../core/store.js';
import type { PostgresHandle } from '../messaging/postgres/handle.js';
import type { InboxPruneOptions, PruneOptions } from '../messaging/retention.js';
import type { SqliteHandle } from '../messaging/sqlite/sqlite-storage.js';
import { openStore } from '../open-store.js';
import type { CliIo } from './schema-commands.js';

export interface PruneFlags {
  store?: string;
  schema?: string;
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

/** `factum outbox prune --older-than 7d`: deletes published outbox rows older than that. */
export async function outboxPruneCommand(
  io: CliIo & { env?: NodeJS.ProcessEnv },
  flags: PruneFlags,
): Promise<number> {
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
export async function inboxPruneCommand(
  io: CliIo & { env?: NodeJS.ProcessEnv },
  flags: InboxPruneFlags,
): Promise<number> {
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
  io: CliIo & { env?: NodeJS.ProcessEnv },
  flags: PruneFlags,
  run: (pruners: Pruners) => Promise<number>,
): Promise<number> {
  const url = flags.store ?? (io.env ?? process.env).FACTUM_STORE_URL;
  if (url === undefined || url === '') {
    io.err('factum: no store: pass --store <url> or set FACTUM_STORE_URL\n');
    return 2;
  }
  const postgres = url.startsWith('postgres://') || url.startsWith('postgresql://');
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file === '' || file === ':memory:' || !existsSync(file)) {
      io.err(`factum: no SQLite database at ${file === '' ? '(empty path)' : file}\n`);
      return 2;
    }
  } else if (!postgres) {
    io.err(`factum: unsupported store URL ${url} (expected sqlite:<file> or postgres://…)\n`);
    return 2;
  }
  const store: EventStore = await openStore(url, flags.schema === undefined ? {} : { schema: flags.schema });
  try {
    // Each storage is loaded on use, like the store's driver.
    if (postgres) {
      const { postgresInbox, postgresOutbox } = await import('../messaging/postgres/index.js');
      const handle = store as unknown as PostgresHandle;
      const outbox = postgresOutbox(handle);
      const inbox = postgresInbox(handle);
      return await run({
        outbox: (o) => outbox.prune(o),
        inbox: (o) => inbox.prune(o),
        where: `schema ${handle.schema ?? 'factum'}`,
      });
    }
    const { sqliteInbox, sqliteOutbox } = await import('../messaging/sqlite/sqlite-storage.js');
    const handle = store as unknown as SqliteHandle;
    const outbox = sqliteOutbox(handle);
    const inbox = sqliteInbox(handle);
    return await run({
      outbox: (o) => outbox.prune(o),
      inbox: (o) => inbox.prune(o),
      where: url.slice('sqlite:'.length),
    });
  } finally {
    await store.close();
  }
}
