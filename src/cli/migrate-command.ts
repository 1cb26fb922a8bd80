import { createRequire } from 'node:module';
import './all-migrations.js';
import type { CliIo } from './schema-commands.js';

export interface MigrateFlags {
  schema?: string;
}

/**
 * `factum migrate <url>`: applies the pending migrations of a store — `postgres://…` (one schema,
 * `--schema`, default 'factum') or `sqlite:<file>` — and says which it applied. Exit code 0 on success.
 */
export async function migrateCommand(io: CliIo, url: string, flags: MigrateFlags): Promise<number> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { migrate } = await import('../stores/postgres/index.js');
    const schema = flags.schema ?? 'factum';
    const applied = await migrate({ connectionString: url, schema });
    io.out(describe(applied, `schema ${schema}`));
    return 0;
  }
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) {
    const file = url.slice('sqlite:'.length);
    const { migrate } = await import('../stores/sqlite/index.js');
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(file);
    try {
      io.out(describe(migrate(db), file));
    } finally {
      db.close();
    }
    return 0;
  }
  io.err(`factum migrate: unsupported store URL ${url} (expected postgres://… or sqlite:<file>)\n`);
  return 2;
}

function describe(applied: readonly number[], target: string): string {
  return applied.length === 0
    ? `${target} is up to date\n`
    : `Applied migration${applied.length === 1 ? '' : 's'} ${applied.join(', ')} to ${target}\n`;
}
