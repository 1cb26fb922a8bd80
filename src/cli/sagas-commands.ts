// `factum sagas list | show | retry | skip | compensate | abort`: the operator's side of sagas. Reads
// need no definitions (the saga index and the instance's stream say everything); an action is a
// request appended to the instance's stream, which the saga's running application applies and
// records; the command waits for that record.
import type { Command } from 'commander';
import { parseDuration } from '../core/duration.js';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { formatValue } from '../core/format.js';
import type { EventStore } from '../core/store.js';
import type { OperatorAction, SagaStatus, SagaSummary } from '../sagas/index.js';
import { listSagas, readOutcome, readSagaInstance, requestSagaAction } from '../sagas/index.js';
import type { CliExit, CliIo } from './io.js';
import { type StoreFlags, schemaOption, storeOption, withStore } from './store-option.js';

const STATES: readonly SagaStatus[] = [
  'running',
  'compensating',
  'parked',
  'completed',
  'compensated',
  'aborted',
];

interface ListFlags extends StoreFlags {
  name?: string;
  state?: string;
  correlation?: string;
  limit?: string;
  json?: boolean;
}

interface ActionFlags extends StoreFlags {
  reason?: string;
  actor?: string;
  wait?: string;
}

/** Exit codes of an action: applied, refused by the instance's state, not applied within --wait. */
export const ACTION_EXIT = { applied: 0, notApplied: 3, pending: 4 } as const;

export function registerSagaCommands(program: Command, io: CliIo, exit: CliExit): void {
  const sagas = program.command('sagas').description('saga instances: list, show, and operator actions');
  sagas
    .command('list')
    .description('saga instances from the saga index, most recently changed first')
    .option('--name <saga>', 'only this saga')
    .option('--state <state>', `only instances in this state (${STATES.join(', ')})`)
    .option('--correlation <id>', 'only the instance(s) of this correlation id')
    .option('--limit <n>', 'at most this many (default 100)')
    .option('--json', 'one JSON object per line')
    .option(...storeOption)
    .option(...schemaOption)
    .action(async (flags: ListFlags) => exit(await listCommand(io, flags)));
  sagas
    .command('show <name> <correlationId>')
    .description('one instance from its stream: state, pending step and timeouts, history')
    .option('--json', 'the instance as JSON')
    .option(...storeOption)
    .option(...schemaOption)
    .action(async (name: string, id: string, flags: ListFlags) =>
      exit(await showCommand(io, name, id, flags)),
    );
  const actions: [OperatorAction, string][] = [
    ['retry', 'send the pending step (or compensation) of a parked instance again'],
    ['skip', 'count the pending step (or compensation) as done and move on'],
    ['compensate', 'start compensating a running instance now'],
    ['abort', 'end the instance as aborted, nothing compensated'],
  ];
  for (const [action, description] of actions) {
    sagas
      .command(`${action} <name> <correlationId>`)
      .description(`${description}; recorded on the saga's stream with --actor and --reason`)
      .option('--reason <text>', 'why (required; kept on the saga stream)')
      .option('--actor <name>', 'who acts (default: $USER, else cli)')
      .option(
        '--wait <duration>',
        'how long to wait for the running application to apply it (default 10s; 0: do not wait)',
      )
      .option(...storeOption)
      .option(...schemaOption)
      .action(async (name: string, id: string, flags: ActionFlags) =>
        exit(await actionCommand(io, action, name, id, flags)),
      );
  }
}

async function listCommand(io: CliIo, flags: ListFlags): Promise<number> {
  if (flags.state !== undefined && !STATES.includes(flags.state as SagaStatus)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      '--state',
      `--state must be one of ${STATES.join(', ')}, got ${formatValue(flags.state)}`,
    );
  }
  const limit = flags.limit === undefined ? 100 : Number(flags.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      '--limit',
      `--limit must be a positive integer, got ${formatValue(flags.limit)}`,
    );
  }
  return withStore(io, flags, async (store) => {
    const found = await listSagas(store, {
      ...(flags.name === undefined ? {} : { name: flags.name }),
      ...(flags.state === undefined ? {} : { state: flags.state as SagaStatus }),
      ...(flags.correlation === undefined ? {} : { correlationId: flags.correlation }),
      limit,
    });
    if (flags.json === true) {
      for (const s of found) io.out(`${JSON.stringify(s)}\n`);
      return 0;
    }
    if (found.length === 0) {
      io.out(
        'No saga instances match (the index is filled by a running application: createSagas(…).start()).\n',
      );
      return 0;
    }
    io.out(
      table(
        ['SAGA', 'CORRELATION', 'STATUS', 'STEP', 'PHASE', 'ATTEMPT', 'UPDATED', 'PARKED'],
        found.map(row),
      ),
    );
    return 0;
  });
}

function row(s: SagaSummary): string[] {
  return [
    s.saga,
    s.correlationId,
    s.status,
    s.step ?? '-',
    s.phase === 'compensation' ? 'undo' : 'do',
    String(s.attempt),
    s.updatedAt,
    s.parkedReason ?? '',
  ];
}

async function showCommand(
  io: CliIo,
  name: string,
  correlationId: string,
  flags: ListFlags,
): Promise<number> {
  return withStore(io, flags, async (store) => {
    const instance = await readSagaInstance(store, name, correlationId);
    if (instance === undefined) {
      io.err(`factum: no instance of saga ${name} for correlation ${formatValue(correlationId)}\n`);
      return 1;
    }
    if (flags.json === true) {
      io.out(`${JSON.stringify(instance, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
      return 0;
    }
    const lines = [
      `Saga ${instance.saga} ${instance.correlationId} (version ${instance.version}): ${instance.status}`,
      `  pending:      ${instance.step === undefined ? '-' : `${instance.step} (${instance.phase === 'compensation' ? 'compensation' : 'action'}, attempt ${instance.attempt}${instance.waiting === undefined ? '' : `, waiting for ${instance.waiting === 'reply' ? 'its reply' : 'its retry'}`})`}`,
      `  succeeded:    ${instance.succeeded.join(', ') || '-'}`,
      `  compensated:  ${instance.compensated.join(', ') || '-'}`,
    ];
    if (instance.failure !== undefined) {
      lines.push(
        `  failure:      ${instance.failure.reason}${instance.failure.step === undefined ? '' : ` at ${instance.failure.step}`}`,
      );
    }
    if (instance.parked !== undefined)
      lines.push(`  parked:       ${instance.parked.reason}: ${instance.parked.error ?? ''}`);
    lines.push(
      `  timeouts:     ${instance.timeouts.map((t) => `${t.token} due ${t.dueAt.toISOString()}`).join('; ') || '-'}`,
    );
    lines.push('', 'History:');
    io.out(`${lines.join('\n')}\n`);
    io.out(
      table(
        ['VERSION', 'TIME', 'TYPE', 'DATA'],
        instance.events.map((e) => [
          String(e.version),
          e.timestamp.toISOString(),
          e.metadata.messageKind === 'command' ? `→ ${e.type} (command)` : e.type,
          short(e.data),
        ]),
      ),
    );
    return 0;
  });
}

async function actionCommand(
  io: CliIo,
  action: OperatorAction,
  name: string,
  correlationId: string,
  flags: ActionFlags,
): Promise<number> {
  if (flags.reason === undefined || flags.reason.trim() === '') {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      '--reason',
      `factum sagas ${action} needs --reason "<why>": it is recorded on the saga's stream`,
    );
  }
  const env = io.env ?? process.env;
  const actor = flags.actor ?? env.USER ?? 'cli';
  const waitMs =
    flags.wait === undefined ? 10_000 : flags.wait === '0' ? 0 : parseDuration(flags.wait, '--wait');
  return withStore(io, flags, async (store) => {
    if ((await readSagaInstance(store, name, correlationId)) === undefined) {
      io.err(`factum: no instance of saga ${name} for correlation ${formatValue(correlationId)}\n`);
      return 1;
    }
    const request = await requestSagaAction(store, name, correlationId, action, {
      actor,
      reason: flags.reason!,
    });
    return awaitOutcome(io, store, name, correlationId, request.id, action, waitMs);
  });
}

async function awaitOutcome(
  io: CliIo,
  store: EventStore,
  name: string,
  correlationId: string,
  requestId: string,
  action: OperatorAction,
  waitMs: number,
): Promise<number> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const outcome = await readOutcome(store, name, correlationId, requestId);
    if (outcome.applied === true) {
      io.out(`${action} ${name} ${correlationId}: applied\n`);
      return ACTION_EXIT.applied;
    }
    if (outcome.applied === false) {
      io.out(`${action} ${name} ${correlationId}: not applied: ${outcome.note ?? ''}\n`);
      return ACTION_EXIT.notApplied;
    }
    if (Date.now() >= deadline) {
      io.out(
        `${action} ${name} ${correlationId}: requested (${requestId}); no runner applied it within ${waitMs} ms (is the saga's application running?)\n`,
      );
      return ACTION_EXIT.pending;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function short(data: unknown): string {
  const text = JSON.stringify(data) ?? '';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
