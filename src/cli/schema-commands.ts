import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { toAsyncApi } from '../core/asyncapi.js';
import { compareWithLock, lockRegistry, parseSchemaLock } from '../core/schema-compat.js';
import type { CliExit, CliIo } from './io.js';
import { CliUsageError, DEFAULT_LOCK_FILE, loadRegistry } from './load-registry.js';

export type { CliIo } from './io.js';

/** Adds `factum schema lock | check | export` to `program`. */
export function registerSchemaCommands(program: Command, io: CliIo, exit: CliExit): void {
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
    .action(async (flags) => exit(await schemaLock(io, flags)));
  schema
    .command('check')
    .description('compare the registered schemas with the lock file; exit 1 on a breaking change')
    .option(...registryOption)
    .option(...lockOption)
    .action(async (flags) => exit(await schemaCheck(io, flags)));
  schema
    .command('export')
    .description('export the registry as a contract document')
    .option('--asyncapi', 'AsyncAPI 3.0 (JSON)')
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--title <title>', 'info.title of the document', 'Factum events')
    .option('--doc-version <version>', 'info.version of the document', '1.0.0')
    .option(...registryOption)
    .action(async (flags) => exit(await schemaExport(io, flags)));
}

export interface RegistryFlags {
  registry?: string;
  lock?: string;
}

function lockPath(io: CliIo, flags: RegistryFlags, fromModule: string | undefined): string {
  if (flags.lock !== undefined) return resolve(io.cwd, flags.lock);
  return fromModule ?? resolve(io.cwd, DEFAULT_LOCK_FILE);
}

/** `factum schema lock`: writes the registry's schemas to the lock file. */
export async function schemaLock(io: CliIo, flags: RegistryFlags): Promise<number> {
  const { registry, schemaLock: fromModule } = await loadRegistry(io.cwd, flags.registry);
  const path = lockPath(io, flags, fromModule);
  const lock = lockRegistry(registry.describe());
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  const types = Object.keys(lock.types).length;
  io.out(`Locked ${types} event type${types === 1 ? '' : 's'} in ${relative(io.cwd, path) || path}\n`);
  return 0;
}

/** `factum schema check`: compares the registry with the lock file; exit 1 on a breaking change. */
export async function schemaCheck(io: CliIo, flags: RegistryFlags): Promise<number> {
  const { registry, schemaLock: fromModule } = await loadRegistry(io.cwd, flags.registry);
  const path = lockPath(io, flags, fromModule);
  const shown = relative(io.cwd, path) || path;
  if (!existsSync(path)) {
    throw new CliUsageError(`No lock file at ${shown}: run \`factum schema lock\` and commit the file`);
  }
  const lock = parseSchemaLock(readFileSync(path, 'utf8'), shown);
  const changes = compareWithLock(lock, registry.describe());
  const breaking = changes.filter((c) => c.breaking);
  const compatible = changes.filter((c) => !c.breaking);
  for (const c of breaking) io.out(`✗ BREAKING ${c.type} v${c.version}: ${c.message} [${c.kind}]\n`);
  for (const c of compatible) io.out(`  compatible ${c.type} v${c.version}: ${c.message} [${c.kind}]\n`);
  if (breaking.length > 0) {
    io.out(
      `\n${breaking.length} breaking change${breaking.length === 1 ? '' : 's'} against ${shown}. ` +
        'Keep the old shape (add a new schema version with an upcaster, new fields optional or with a default), ' +
        'or, if consumers are ready, accept it with `factum schema lock`.\n',
    );
    return 1;
  }
  io.out(
    compatible.length === 0
      ? `Schemas match ${shown}.\n`
      : `\nNo breaking change against ${shown} (${compatible.length} compatible). Run \`factum schema lock\` to record them.\n`,
  );
  return 0;
}

export interface ExportFlags extends RegistryFlags {
  asyncapi?: boolean;
  out?: string;
  title?: string;
  docVersion?: string;
}

/** `factum schema export --asyncapi`: the registry as an AsyncAPI 3 document (JSON). */
export async function schemaExport(io: CliIo, flags: ExportFlags): Promise<number> {
  if (flags.asyncapi !== true) throw new CliUsageError('Choose a format: factum schema export --asyncapi');
  const { registry } = await loadRegistry(io.cwd, flags.registry);
  const options: { title?: string; version?: string } = {};
  if (flags.title !== undefined) options.title = flags.title;
  if (flags.docVersion !== undefined) options.version = flags.docVersion;
  const text = `${JSON.stringify(toAsyncApi(registry.describe(), options), null, 2)}\n`;
  if (flags.out === undefined) {
    io.out(text);
  } else {
    const path = resolve(io.cwd, flags.out);
    writeFileSync(path, text);
    io.err(`Wrote AsyncAPI 3.0 document to ${relative(io.cwd, path) || path}\n`);
  }
  return 0;
}
