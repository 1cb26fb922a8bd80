// `factum sagas list | show | retry | skip | compensate | abort`: the operator's side of sagas. Reads
// need no definitions (the saga index and the instance's stream say everything); an action is a
// request appended to the instance's stream, which the saga's running application applies and
// records; the command waits for that record.
import type { Command } from 'commander';
import { parseDuration } from '../core/duration.js';
import { ErrorCodes, isFactumError } from '../core/errors.js';
import { formatValue } from '../core/format.js';
import type { EventStore } from '../core/store.js';
import type { OperatorAction, SagaStatus } from '../sagas/index.js';
import {
  awaitOutcome,
  listSagas,
  readSagaInstance,
  requestSagaAction,
  SAGA_STATUSES,
} from '../sagas/index.js';
import type { CliExit, CliIo } from './io.js';
import { CliUsageError } from './load-registry.js';
import {
  formatSpan,
  historyHeader,
  historyRow,
  instanceLines,
  listHeader,
  listRow,
  table,
} from './sagas-format.js';
import { describeStore, type StoreFlags, schemaOption, storeOption, withStore } from './store-option.js';

const STATES: readonly SagaStatus[] = SAGA_STATUSES.filter((s) => s !== 'new');

interface ListFlags extends StoreFlags {
  name?: string;
  state?: string;
  correlation?: string;
  limit?: string;
  json?: boolean;
}

interface ShowFlags extends StoreFlags {
  json?: boolean;
}

interface ActionFlags extends StoreFlags {
  reason?: string;
  actor?: string;
  wait?: string;
}

/** Exit codes of an action: applied, refused by the instance's state, not applied within --wait. */
export const ACTION_EXIT = { applied: 0, notApplied: 3, pending: 4 } as const;

const DEFAULT_WAIT_MS = 10_000;
const POLL_MS = 100;

const ACTIONS: readonly [OperatorAction, string][] = [
  ['retry', 'send the pending step (or compensation) of a parked instance again'],
  ['skip', 'count the pending step (or compensation) as done and move on'],
  ['compensate', 'start compensating a running (or parked, running) instance now'],
  ['abort', 'end the instance as aborted, compensating nothing'],
];

/** Adds `factum sagas …` to `program`; each command reports its exit code through `exit`. */
export function registerSagaCommands(program: Command, io: CliIo, exit: CliExit): void {
  const sagas = program
    .command('sagas')
    .description('saga instances: list, show, and operator actions carried out by the running application');
  sagas
    .command('list')
    .description('saga instances from the saga index, most recently changed first')
    .option('--name <saga>', 'only this saga')
    .option('--state <state>', `only instances in this state (${STATES.join(', ')})`)
    .option('--correlation <id>', 'only the instance(s) of this correlation id')
    .option('--limit <n>', 'at most this many (default 100)')
    .option('--json', 'one JSON object per instance')
    .option(...storeOption)
    .option(...schemaOption)
    .action(async (flags: ListFlags) => exit(await failingWith1(io, () => listCommand(io, flags))));
  sagas
    .command('show <name> <correlationId>')
    .description('one instance from its stream: state, pending step and timeouts, history; exit 1 when none')
    .option('--json', 'the instance as one JSON object')
    .option(...storeOption)
    .option(...schemaOption)
    .action(async (name: string, id: string, flags: ShowFlags) =>
      exit(await failingWith1(io, () => showCommand(io, name, id, flags))),
    );
  for (const [action, description] of ACTIONS) {
    sagas
      .command(`${action} <name> <correlationId>`)
      .description(
        `${description}; exit 0 applied, 3 not applied (refused by the instance's state), 4 not applied within --wait`,
      )
      .option('--reason <text>', "why (required; recorded on the saga's stream)")
      .option('--actor <name>', "who acts, recorded on the saga's stream (default: $USER, else cli)")
      .option(
        '--wait <duration>',
        'how long to wait for the running application to apply it (default 10s; 0: do not wait)',
      )
      .option(...storeOption)
      .option(...schemaOption)
      .action(async (name: string, id: string, flags: ActionFlags) =>
        exit(await failingWith1(io, () => actionCommand(io, action, name, id, flags))),
      );
  }
}

/**
 * Runs a saga command: a usage problem (a bad flag, argument or store URL) still reaches runCli and
 * exits 2; any other failure (the store cannot be opened or read) is printed here and exits 1.
 */
async function failingWith1(io: CliIo, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (
      error instanceof CliUsageError ||
      isFactumError(error, ErrorCodes.INVALID_ARGUMENT) ||
      isFactumError(error, ErrorCodes.UNSUPPORTED_STORE_URL)
    ) {
      throw error;
    }
    io.err(`factum: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** `factum sagas list` */
export async function listCommand(io: CliIo, flags: ListFlags): Promise<number> {
  if (flags.state !== undefined && !STATES.includes(flags.state as SagaStatus)) {
    throw new CliUsageError(`--state must be one of ${STATES.join(', ')}, got ${formatValue(flags.state)}`);
  }
  const limit = flags.limit === undefined ? 100 : Number(flags.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new CliUsageError(`--limit must be a positive integer, got ${formatValue(flags.limit)}`);
  }
  return withStore(io, flags, async (store, target) => {
    const say = (line: string) => (flags.json === true ? io.err(line) : io.out(line));
    let found: Awaited<ReturnType<typeof listSagas>>;
    try {
      found = await listSagas(store, {
        ...(flags.name === undefined ? {} : { name: flags.name }),
        ...(flags.state === undefined ? {} : { state: flags.state as SagaStatus }),
        ...(flags.correlation === undefined ? {} : { correlationId: flags.correlation }),
        limit,
      });
    } catch (error) {
      if (!isFactumError(error, ErrorCodes.PROJECTION_NOT_FOUND)) throw error;
      say(
        `No saga index in ${describeStore(target)}: it is created and filled by a running application (createSagas(…).start()).\n`,
      );
      return 0;
    }
    if (flags.json === true) {
      for (const s of found) io.out(`${JSON.stringify(s)}\n`);
    } else if (found.length === 0) {
      io.out('No saga instances match.\n');
    } else {
      io.out(table(listHeader, found.map(listRow)));
    }
    if (found.length === limit) {
      io.err(`(the ${limit} most recently changed; there may be more: raise --limit)\n`);
    }
    return 0;
  });
}

/** `factum sagas show <name> <correlationId>` */
export async function showCommand(
  io: CliIo,
  name: string,
  correlationId: string,
  flags: ShowFlags,
): Promise<number> {
  return withStore(io, flags, async (store, target) => {
    const instance = await readSagaInstance(store, name, correlationId);
    if (instance === undefined) {
      io.err(`factum: ${notFound(name, correlationId, describeStore(target))}\n`);
      return 1;
    }
    if (flags.json === true) {
      io.out(`${JSON.stringify(instance, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
      return 0;
    }
    const state = instanceLines(instance, Date.now());
    io.out(`Saga ${instance.saga} ${instance.correlationId}\n${state.join('\n')}\n\nHistory:\n`);
    io.out(table(historyHeader, instance.events.map(historyRow)));
    return 0;
  });
}

/** `factum sagas retry|skip|compensate|abort <name> <correlationId> --reason …` */
export async function actionCommand(
  io: CliIo,
  action: OperatorAction,
  name: string,
  correlationId: string,
  flags: ActionFlags,
): Promise<number> {
  const reason = flags.reason?.trim() ?? '';
  if (reason === '') {
    throw new CliUsageError(`sagas ${action} needs --reason "<why>": it is recorded on the saga's stream`);
  }
  const env = io.env ?? process.env;
  const actor = flags.actor ?? (env.USER || 'cli');
  const waitMs =
    flags.wait === undefined ? DEFAULT_WAIT_MS : flags.wait === '0' ? 0 : parseDuration(flags.wait, '--wait');
  return withStore(io, flags, async (store, target) => {
    const where = describeStore(target);
    if ((await readSagaInstance(store, name, correlationId)) === undefined) {
      io.err(`factum: ${notFound(name, correlationId, where)}\n`);
      return 1;
    }
    let requestId: string;
    try {
      requestId = (await requestSagaAction(store, name, correlationId, action, { actor, reason })).id;
    } catch (error) {
      if (!isFactumError(error, ErrorCodes.SAGA_NOT_FOUND)) throw error;
      io.err(`factum: ${notFound(name, correlationId, where)}\n`);
      return 1;
    }
    return reportOutcome(io, store, { action, name, correlationId, requestId, waitMs });
  });
}

async function reportOutcome(
  io: CliIo,
  store: EventStore,
  r: { action: OperatorAction; name: string; correlationId: string; requestId: string; waitMs: number },
): Promise<number> {
  const what = `${r.action} ${r.name} ${r.correlationId}`;
  const outcome = await awaitOutcome(store, r.name, r.correlationId, r.requestId, {
    waitMs: r.waitMs,
    pollMs: POLL_MS,
  });
  if (outcome.applied === true) {
    io.out(`${what}: applied\n`);
    return ACTION_EXIT.applied;
  }
  if (outcome.applied === false) {
    io.out(`${what}: not applied: ${outcome.note ?? 'no reason recorded'}\n`);
    return ACTION_EXIT.notApplied;
  }
  io.out(
    r.waitMs === 0
      ? `${what}: requested (request ${r.requestId}); not waiting for the running application to apply it\n`
      : `${what}: requested (request ${r.requestId}); no runner applied it within ${formatSpan(r.waitMs)} (is the saga's application running?)\n`,
  );
  return ACTION_EXIT.pending;
}

function notFound(name: string, correlationId: string, where: string): string {
  return `no instance of saga ${name} for correlation ${formatValue(correlationId)} in ${where}`;
}
