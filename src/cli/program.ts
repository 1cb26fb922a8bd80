import { Command, CommanderError } from 'commander';
import { isFactumError } from '../core/errors.js';
import type { CliIo } from './io.js';
import { registerKafkaCommands } from './kafka-commands.js';
import { CliUsageError } from './load-registry.js';
import { registerLogCommands } from './log-commands.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerProjectionCommands } from './projections.js';
import { registerRetentionCommands } from './retention-commands.js';
import { registerSagaCommands } from './sagas-commands.js';
import { registerSchemaCommands } from './schema-commands.js';
import { registerServeCommand } from './serve-command.js';

export type { CliIo } from './io.js';

/**
 * Runs the `factum` command line with `argv` (without the node and script entries) and returns the
 * exit code: 0 success, 1 a failed check, 2 a usage or load error.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = 0;
  const program = factumProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportFailure(io, error);
  }
}

/** The `factum` program: each command group registers its own subcommands. */
function factumProgram(io: CliIo, exit: (code: number) => void): Command {
  const program = new Command('factum')
    .description('Factum: event sourcing, CQRS and messaging for TypeScript')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();
  registerSchemaCommands(program, io, exit);
  registerProjectionCommands(program, io, exit);
  registerMigrateCommand(program, io, exit);
  registerRetentionCommands(program, io, exit);
  registerKafkaCommands(program, io, exit);
  registerSagaCommands(program, io, exit);
  registerLogCommands(program, io, exit);
  registerServeCommand(program, io, exit);
  return program;
}

/** The exit code of a command that threw; commander has already printed its own usage errors. */
function reportFailure(io: CliIo, error: unknown): number {
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

function processIo(): CliIo {
  return {
    cwd: process.cwd(),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}
