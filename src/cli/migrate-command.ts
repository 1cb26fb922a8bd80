import { createRequire } from 'node:module';
import './all-migrations.js';
import type { Command } from 'commander';
import type { CliExit, CliIo } from './io.js';
import { describeStore, parseCliStoreUrl, schemaOption } from './store-option.js';

export interface MigrateFlags {
  schema?: string;
}

/** Adds `factum migrate <url>` to `program`. */
export function registerMigrateCommand(program: Command, io: CliIo, exit: CliExit): void {
  program
    .command('migrate')
    .description('apply pending migrations: postgres://… (one schema) or sqlite:<file>')
    .argument('<url>', 'store URL')
    .option(...schemaOption)
    .action(async (url: string, flags: MigrateFlags) => exit(await migrateCommand(io, url, flags)));
}

/**
 * `factum migrate <url>`: applies the pending migrations of a store — `postgres://…` (one schema:
 * `--schema` or `?schema=`, default 'factum') or `sqlite:<file>`, created if missing — and says which it
 * applied. Exit code 0 on success; a URL the command cannot use is refused (FACTUM_UNSUPPORTED_STORE_URL).
 */
export async function migrateCommand(io: CliIo, url: string, flags: MigrateFlags): Promise<number> {
  const target = parseCliStoreUrl(url, flags.schema);
  if (target.kind === 'postgres') {
    const { migrate } = await import('../stores/postgres/index.js');
    const applied = await migrate({ connectionString: target.connectionString, schema: target.schema });
    io.out(describe(applied, describeStore(target)));
    return 0;
  }
  const { migrate } = await import('../stores/sqlite/index.js');
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(target.filename);
  try {
    io.out(describe(migrate(db), target.filename));
  } finally {
    db.close();
  }
  return 0;
}

function describe(applied: readonly number[], target: string): string {
  return applied.length === 0
    ? `${target} is up to date\n`
    : `Applied migration${applied.length === 1 ? '' : 's'} ${applied.join(', ')} to ${target}\n`;
}
