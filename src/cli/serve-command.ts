// `factum serve [store-url]`: the operator API and the dashboard on a store, until stopped.
import type { Command } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, serve, TOKENS_ENV } from '../server/index.js';
import { type CliExit, type CliIo, stopSignal, untilAborted } from './io.js';
import { CliUsageError } from './load-registry.js';
import { describeStore, type StoreFlags, schemaOption, storeOption, withStore } from './store-option.js';

interface ServeFlags extends StoreFlags {
  port?: string;
  host?: string;
  relay?: string[];
  traceUrl?: string;
}

export function registerServeCommand(program: Command, io: CliIo, exit: CliExit): void {
  program
    .command('serve [store-url]')
    .description(
      `the operator API (/api/v1) and the dashboard on a store; tokens from $${TOKENS_ENV} (name:role:secret, comma-separated), else a generated admin token is printed`,
    )
    .option('--port <n>', `port (default ${DEFAULT_PORT}; 0 picks a free one)`)
    .option('--host <address>', `address to bind (default ${DEFAULT_HOST}: this machine only)`)
    .option('--relay <name...>', 'relays whose checkpoints are shown (default: relay)')
    .option(
      '--trace-url <template>',
      "the trace viewer's URL of a trace, {traceId} standing for its id: events link to their trace",
    )
    .option(...storeOption)
    .option(...schemaOption)
    .action(async (url: string | undefined, flags: ServeFlags) =>
      exit(await serveCommand(io, { ...flags, store: url ?? flags.store })),
    );
}

export async function serveCommand(io: CliIo, flags: ServeFlags): Promise<number> {
  const port = flags.port === undefined ? DEFAULT_PORT : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliUsageError(`--port must be 0-65535, got ${flags.port}`);
  }
  const signal = stopSignal(io);
  return withStore(io, flags, async (store, target) => {
    const server = await serve({
      store,
      port,
      host: flags.host,
      relays: flags.relay,
      ...(flags.traceUrl === undefined ? {} : { traceUrl: flags.traceUrl }),
      env: io.env ?? process.env,
    });
    try {
      io.out(`factum: serving ${describeStore(target)}\n  dashboard and API: ${server.url}\n`);
      if (server.generatedToken !== undefined) {
        io.out(
          `  no tokens configured ($${TOKENS_ENV}); sign in with this admin token, valid until this process stops:\n    ${server.generatedToken}\n`,
        );
      }
      const host = flags.host ?? DEFAULT_HOST;
      if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
        io.err(
          `factum: warning: bound to ${host}, reachable from other machines; put TLS in front of it (tokens and session cookies travel in the clear otherwise)\n`,
        );
      }
      await untilAborted(signal);
      return 0;
    } finally {
      await server.close();
    }
  });
}
