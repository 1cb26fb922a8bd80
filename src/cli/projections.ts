// `factum lag`, `factum dlq list|retry|skip` and `factum projections rebuild`: the operator's side of
// projections. Register them on the `factum` program with registerProjectionCommands(program, io, exit).
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  listDeadLetters,
  pauseProjection,
  projectionStatus,
  resumeProjection,
  retryDeadLetter,
  skipDeadLetter,
} from '../projections/admin.js';
import type { RebuildProgress } from '../projections/events.js';
import { createProjections } from '../projections/projections.js';
import type { ProjectionStatus } from '../projections/status.js';
import type { DeadLetter } from '../projections/storage.js';
import type { Projection } from '../projections/types.js';
import type { CliExit, CliIo } from './io.js';
import { CliUsageError, importModule } from './load-registry.js';
import { describeStore, type StoreFlags, schemaOption, storeOption, withStore } from './store-option.js';

interface OutputFlags extends StoreFlags {
  json?: boolean;
}

export interface LagFlags extends OutputFlags {
  projection?: string;
  /** Projections that must exist: each one missing is named and makes `lag` exit 1. */
  expect?: string[];
}

/** Adds the projection commands to `program`; each reports its exit code through `exit`. */
export function registerProjectionCommands(program: Command, io: CliIo, exit: CliExit): void {
  program
    .command('lag')
    .description(
      'projection lag, SLA and dead letters; exit 1 when an SLA is breached or an --expect projection is missing',
    )
    .option(...storeOption)
    .option(...schemaOption)
    .option('--projection <name>', 'only this projection')
    .option(
      '--expect <name>',
      'a projection that must exist (repeatable): exit 1 naming it when it is missing',
      (name: string, names: string[] | undefined) => [...(names ?? []), name],
    )
    .option('--json', 'one JSON object per projection')
    .action(async (flags: LagFlags) => exit(await lagCommand(io, flags)));

  const dlq = program.command('dlq').description('dead letters of projections');
  dlq
    .command('list')
    .description('dead and parked events, oldest first')
    .option(...storeOption)
    .option(...schemaOption)
    .option('--projection <name>', 'only this projection')
    .option('--status <status>', "'dead' or 'parked'")
    .option('--json', 'one JSON object per dead letter')
    .action(async (flags: OutputFlags & { projection?: string; status?: string }) =>
      exit(await dlqListCommand(io, flags)),
    );
  for (const action of ['retry', 'skip'] as const) {
    dlq
      .command(`${action} <id>`)
      .description(
        action === 'retry'
          ? "apply a dead letter again (after a fix), then the events parked behind it; done by the projection's active runner"
          : "drop a dead letter and release the events parked behind it; done by the projection's active runner",
      )
      .option(...storeOption)
      .option(...schemaOption)
      .action(async (id: string, flags: StoreFlags) => exit(await dlqActionCommand(io, action, id, flags)));
  }

  const projections = program.command('projections').description('projection maintenance');
  projections
    .command('pause <name>')
    .description(
      "stop the projection's runner (in whatever process holds its lease) at its next batch; readers keep the read model as it is",
    )
    .option('--reason <text>', 'why (required; shown by `factum lag` and the dashboard)')
    .option('--actor <name>', 'who pauses it (default: $USER, else cli)')
    .option(...storeOption)
    .option(...schemaOption)
    .action(async (name: string, flags: StoreFlags & { reason?: string; actor?: string }) =>
      exit(
        await withStore(io, flags, async (store, target) => {
          const reason = flags.reason?.trim() ?? '';
          if (reason === '') throw new CliUsageError('projections pause needs --reason "<why>"');
          const actor = flags.actor ?? ((io.env ?? process.env).USER || 'cli');
          await pauseProjection(store, name, { actor, reason });
          io.out(`${name}: paused in ${describeStore(target)} (its runner stops at its next batch)\n`);
          return 0;
        }),
      ),
    );
  projections
    .command('resume <name>')
    .description("let a paused projection's runner carry on from its checkpoint")
    .option(...storeOption)
    .option(...schemaOption)
    .action(async (name: string, flags: StoreFlags) =>
      exit(
        await withStore(io, flags, async (store, target) => {
          await resumeProjection(store, name);
          io.out(`${name}: resumed in ${describeStore(target)}\n`);
          return 0;
        }),
      ),
    );
  projections
    .command('rebuild <name>')
    .description('rebuild a projection into a new generation and swap it in, with a progress bar')
    .requiredOption('--projections <module>', 'module exporting `projections` (async) and/or `inline` arrays')
    .option(...storeOption)
    .option(...schemaOption)
    .action(async (name: string, flags: StoreFlags & { projections: string }) =>
      exit(await rebuildCommand(io, name, flags)),
    );
}

/**
 * `factum lag`: one row (or JSON object) per projection. A store without projections says so (on
 * stderr with --json, so standard output stays JSON lines). Exit 1 when an SLA is breached or a
 * projection named by --expect is missing.
 */
export async function lagCommand(io: CliIo, flags: LagFlags): Promise<number> {
  return withStore(io, flags, async (store, target) => {
    const statuses = await projectionStatus(
      store,
      flags.projection === undefined ? {} : { name: flags.projection },
    );
    const where = describeStore(target);
    if (statuses.length === 0) {
      const line = `No projections in ${where}.\n`;
      if (flags.json === true) io.err(line);
      else io.out(line);
    } else if (flags.json === true) {
      for (const s of statuses) io.out(`${JSON.stringify(s, jsonValue)}\n`);
    } else {
      io.out(table(statusHeader, statuses.map(statusRow)));
    }
    const missing = (flags.expect ?? []).filter((name) => !statuses.some((s) => s.name === name));
    for (const name of new Set(missing)) io.err(`Expected projection ${name} is missing from ${where}\n`);
    const breached = statuses.filter((s) => s.breached);
    for (const s of breached) {
      io.err(
        `SLA breached: ${s.name} is ${s.lagMs} ms behind (max ${s.sla?.maxLagMs} ms, ${s.behind} events)\n`,
      );
    }
    return breached.length > 0 || missing.length > 0 ? 1 : 0;
  });
}

/** `factum dlq list` */
export async function dlqListCommand(
  io: CliIo,
  flags: OutputFlags & { projection?: string; status?: string },
): Promise<number> {
  if (flags.status !== undefined && flags.status !== 'dead' && flags.status !== 'parked') {
    io.err(`factum: --status must be 'dead' or 'parked', got '${flags.status}'\n`);
    return 2;
  }
  return withStore(io, flags, async (store) => {
    const letters = await listDeadLetters(store, {
      limit: 1_000,
      ...(flags.projection === undefined ? {} : { projection: flags.projection }),
      ...(flags.status === undefined ? {} : { status: flags.status as 'dead' | 'parked' }),
    });
    if (flags.json === true) {
      for (const d of letters) io.out(`${JSON.stringify(d, jsonValue)}\n`);
    } else if (letters.length === 0) {
      io.out('No dead letters.\n');
    } else {
      io.out(table(letterHeader, letters.map(letterRow)));
    }
    return 0;
  });
}

/** `factum dlq retry <id>` and `factum dlq skip <id>` */
export async function dlqActionCommand(
  io: CliIo,
  action: 'retry' | 'skip',
  id: string,
  flags: StoreFlags,
): Promise<number> {
  const n = Number(id);
  if (!Number.isSafeInteger(n) || n < 1) {
    io.err(`factum: a dead letter id is a positive integer, got '${id}'\n`);
    return 2;
  }
  return withStore(io, flags, async (store) => {
    const letter = await (action === 'retry' ? retryDeadLetter(store, n) : skipDeadLetter(store, n));
    io.out(
      `Requested ${action} of dead letter ${n} (${letter.event.type} ${letter.event.streamId} v${letter.event.version}); ` +
        `the active runner of ${letter.projection} carries it out within a second or so.\n`,
    );
    return 0;
  });
}

/** `factum projections rebuild <name> --projections <module>` */
export async function rebuildCommand(
  io: CliIo,
  name: string,
  flags: StoreFlags & { projections: string },
): Promise<number> {
  const path = isAbsolute(flags.projections) ? flags.projections : resolve(io.cwd, flags.projections);
  if (!existsSync(path)) {
    io.err(`factum: projections module not found: ${flags.projections} (looked at ${path})\n`);
    return 2;
  }
  const loaded = (await importModule(path, io.cwd, '--projections')) as Record<string, unknown>;
  const asyncProjections = projectionList(loaded.projections ?? loaded.async);
  const inline = projectionList(loaded.inline);
  if (![...asyncProjections, ...inline].some((p) => p.name === name)) {
    io.err(`factum: ${flags.projections} exports no projection named ${name}\n`);
    return 2;
  }
  return withStore(io, flags, async (store) => {
    const projections = await createProjections(store, { async: asyncProjections, inline });
    const result = await projections.rebuild(name, { onProgress: (p) => io.err(`\r${progressBar(p)}`) });
    io.err('\n');
    io.out(
      `Rebuilt ${name}: generation ${result.generation} is live at position ${result.position} ` +
        `(${result.events} events in ${result.elapsedMs} ms, ${result.deadLetters} dead letters)\n`,
    );
    return 0;
  });
}

/** One line of a rebuild's progress: bar, counts, rate and time left. */
export function progressBar(p: RebuildProgress, width = 30): string {
  const share = p.total === 0 ? 1 : Math.min(1, p.done / p.total);
  const filled = Math.round(share * width);
  const eta = p.phase === 'done' ? 'done' : `ETA ${formatMs(p.etaMs)}`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(share * 100)}% ${p.done}/${p.total} events, ${p.rate}/s, ${eta} (${p.phase})`;
}

function projectionList(value: unknown): Projection[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter(
    (p): p is Projection => typeof p === 'object' && p !== null && 'handle' in p && 'name' in p,
  );
}

const statusHeader = [
  'PROJECTION',
  'MODE',
  'GEN',
  'POSITION/HEAD',
  'BEHIND',
  'LAG',
  'SLA',
  'DEAD',
  'PARKED',
  'RUNNER',
];

function statusRow(s: ProjectionStatus): string[] {
  return [
    s.name,
    s.mode,
    String(s.generation) + (s.rebuilding === null ? '' : ` (building ${s.rebuilding.generation})`),
    `${s.position}/${s.head}`,
    String(s.behind),
    formatMs(s.lagMs),
    s.sla === null ? '-' : `${formatMs(s.sla.maxLagMs)}${s.breached ? ' BREACHED' : ''}`,
    String(s.deadLetters),
    String(s.parked),
    (s.runner === null ? '-' : `${s.runner.owner}${s.runner.alive ? '' : ' (expired)'}`) +
      (s.paused === null ? '' : ` PAUSED by ${s.paused.by}: ${s.paused.reason}`),
  ];
}

const letterHeader = [
  'ID',
  'PROJECTION',
  'STATUS',
  'POSITION',
  'STREAM',
  'VERSION',
  'TYPE',
  'ATTEMPTS',
  'ACTION',
  'ERROR',
];

function letterRow(d: DeadLetter): string[] {
  return [
    String(d.id),
    d.projection,
    d.status,
    String(d.event.position),
    d.event.streamId,
    String(d.event.version),
    d.event.type,
    String(d.attempts),
    d.action ?? '-',
    d.error?.message ?? '-',
  ];
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `${cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()}\n`;
  return line(header) + rows.map(line).join('');
}

function formatMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
