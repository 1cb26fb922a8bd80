// `factum streams list|show`, `factum events tail [--follow]` and `factum trace <correlationId>`: the
// stream browser, the live tail and the correlation flow of the operator API, on the same code.
import type { Command } from 'commander';
import type { StoredEvent } from '../core/envelope.js';
import type { EventStore } from '../core/store.js';
import { type FlowEvent, projectionStorageOrNone, readFlow } from '../server/flow.js';
import { eventJson, storeBrowser } from '../server/index.js';
import { LiveLog } from '../server/live.js';
import { type CliExit, type CliIo, stopSignal } from './io.js';
import { CliUsageError } from './load-registry.js';
import { describeStore, type StoreFlags, schemaOption, storeOption, withStore } from './store-option.js';
import { clip, table } from './text.js';

interface JsonFlag {
  json?: boolean;
}

const DATA_WIDTH = 80;

function int(value: string | undefined, flag: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new CliUsageError(`${flag} must be an integer of at least ${min}, got ${value}`);
  }
  return n;
}

function position(value: string | undefined, flag: string): bigint | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,19}$/.test(value)) throw new CliUsageError(`${flag} must be a log position, got ${value}`);
  return BigInt(value);
}

const json = (value: unknown) => `${JSON.stringify(value)}\n`;

/** One event as a line of the tail: position, time, stream@version, type, data. */
export function eventLine(e: StoredEvent): string {
  return `${e.position}  ${e.timestamp.toISOString()}  ${e.streamId}@${e.version}  ${e.type}  ${clip(JSON.stringify(e.data) ?? '', DATA_WIDTH)}\n`;
}

export function registerLogCommands(program: Command, io: CliIo, exit: CliExit): void {
  const streams = program.command('streams').description('the streams of a store: list them, show one');
  streams
    .command('list')
    .description('streams in id order, by prefix or category, a page at a time')
    .option('--prefix <text>', 'only streams whose id starts with this')
    .option('--category <name>', "only streams of this category ('order' for order-42)")
    .option('--after <streamId>', 'the page after this stream id (printed at the end of a full page)')
    .option('--limit <n>', 'streams per page (default 50, at most 500)')
    .option('--json', 'one JSON object per stream')
    .option(...storeOption)
    .option(...schemaOption)
    .action(
      async (
        flags: StoreFlags & JsonFlag & { prefix?: string; category?: string; after?: string; limit?: string },
      ) =>
        exit(
          await withStore(io, flags, async (store) => {
            const page = await storeBrowser(store).listStreams({
              prefix: flags.prefix,
              category: flags.category,
              after: flags.after,
              limit: int(flags.limit, '--limit'),
            });
            if (flags.json === true) {
              for (const s of page.streams) {
                io.out(
                  json({
                    ...s,
                    lastPosition: s.lastPosition.toString(),
                    updatedAt: s.updatedAt.toISOString(),
                  }),
                );
              }
              return 0;
            }
            if (page.streams.length === 0) {
              io.out('no streams\n');
              return 0;
            }
            io.out(
              table(
                ['STREAM', 'VERSION', 'LAST POSITION', 'UPDATED'],
                page.streams.map((s) => [
                  s.streamId,
                  String(s.version),
                  String(s.lastPosition),
                  s.updatedAt.toISOString(),
                ]),
              ),
            );
            if (page.next !== undefined) io.out(`more: --after ${page.next}\n`);
            return 0;
          }),
        ),
    );
  streams
    .command('show <streamId>')
    .description("one stream's events; exit 1 when it does not exist")
    .option('--backward', 'newest first')
    .option('--from <version>', 'first version to show')
    .option('--limit <n>', 'at most this many events (default 100)')
    .option('--json', 'one JSON object per event')
    .option(...storeOption)
    .option(...schemaOption)
    .action(
      async (
        streamId: string,
        flags: StoreFlags & JsonFlag & { backward?: boolean; from?: string; limit?: string },
      ) =>
        exit(
          await withStore(io, flags, async (store, target) => {
            const read = await store.readStream(streamId, {
              direction: flags.backward === true ? 'backward' : 'forward',
              fromVersion: int(flags.from, '--from'),
              limit: int(flags.limit, '--limit') ?? 100,
            });
            if (!read.exists) {
              io.err(`factum: no stream ${streamId} in ${describeStore(target)}\n`);
              return 1;
            }
            if (flags.json === true) {
              for (const e of read.events) io.out(json(eventJson(e)));
              return 0;
            }
            io.out(`stream ${streamId}: version ${read.version}\n`);
            io.out(
              table(
                ['VERSION', 'POSITION', 'TIME', 'TYPE', 'DATA'],
                read.events.map((e) => [
                  String(e.version),
                  String(e.position),
                  e.timestamp.toISOString(),
                  e.type,
                  clip(JSON.stringify(e.data) ?? '', DATA_WIDTH),
                ]),
              ),
            );
            return 0;
          }),
        ),
    );

  program
    .command('events')
    .description('the global log')
    .command('tail')
    .description('the last events of the log; with --follow, then every new one until stopped (Ctrl-C)')
    .option('-f, --follow', 'keep printing new events')
    .option('-n, --limit <n>', 'how many of the last events to print first (default 20; 0: none)')
    .option('--after <position>', 'print every event after this position instead of the last ones')
    .option('--types <A,B>', 'only these event types')
    .option('--json', 'one JSON object per event')
    .option(...storeOption)
    .option(...schemaOption)
    .action(
      async (
        flags: StoreFlags & JsonFlag & { follow?: boolean; limit?: string; after?: string; types?: string },
      ) => exit(await withStore(io, flags, (store) => tailCommand(io, store, flags))),
    );

  program
    .command('trace <correlationId>')
    .description(
      'one business flow: every event of the correlation id (and the event that started it) in log order, as a causation tree, with its dead letters and sagas; exit 1 when none',
    )
    .option('--relay <name...>', 'relays whose checkpoints say what was published (default: relay)')
    .option('--json', 'the flow as one JSON object')
    .option(...storeOption)
    .option(...schemaOption)
    .action(async (correlationId: string, flags: StoreFlags & JsonFlag & { relay?: string[] }) =>
      exit(
        await withStore(io, flags, async (store, target) => {
          const flow = await readFlow(
            { store, relays: flags.relay ?? ['relay'], projections: projectionStorageOrNone(store) },
            correlationId,
            { limit: 5_000 },
          );
          if (flow.events.length === 0) {
            io.err(`factum: no events of correlation ${correlationId} in ${describeStore(target)}\n`);
            return 1;
          }
          if (flags.json === true) {
            io.out(
              json({
                correlationId,
                events: flow.events.map(({ event, published }) => ({ ...eventJson(event), published })),
                deadLetters: flow.deadLetters.map((d) => ({
                  id: d.id,
                  projection: d.projection,
                  eventId: d.event.id,
                  error: d.error?.message ?? null,
                })),
                sagas: flow.sagas,
              }),
            );
            return 0;
          }
          io.out(traceText(flow.correlationId, flow.events, flow.deadLetters, flow.sagas));
          return 0;
        }),
      ),
    );
}

async function tailCommand(
  io: CliIo,
  store: EventStore,
  flags: JsonFlag & { follow?: boolean; limit?: string; after?: string; types?: string },
): Promise<number> {
  const types = flags.types
    ?.split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const shows = (e: StoredEvent) => types === undefined || types.includes(e.type);
  const print = (e: StoredEvent) => io.out(flags.json === true ? json(eventJson(e)) : eventLine(e));
  const after = position(flags.after, '--after');
  let last = after ?? 0n;
  if (after === undefined) {
    const limit = int(flags.limit, '--limit', 0) ?? 20;
    const tail = limit === 0 ? [] : await storeBrowser(store).tail(limit);
    for (const e of tail) if (shows(e)) print(e);
    last = tail.at(-1)?.position ?? (await storeBrowser(store).tail(1))[0]?.position ?? 0n;
  } else if (flags.follow !== true) {
    for (let from = after; ; ) {
      const page = await store.readAll({ after: from, limit: 1_000, types });
      for (const e of page.events) print(e);
      if (page.events.length === 0 || page.last === from) break;
      from = page.last;
    }
    return 0;
  }
  if (flags.follow !== true) return 0;
  const live = new LiveLog(store);
  const signal = stopSignal(io);
  try {
    await live.follow(
      last,
      {
        send: async (events) => {
          for (const e of events) print(e);
        },
        drop: (reason) =>
          io.err(`factum: the tail fell behind (${reason}); run again with --after ${last}\n`),
      },
      signal,
      (e) => {
        last = e.position;
        return shows(e);
      },
    );
  } finally {
    await live.close();
  }
  return 0;
}

/** The flow as a causation tree: each event under the event that caused it, when that is in the flow. */
export function traceText(
  correlationId: string,
  events: readonly FlowEvent[],
  deadLetters: readonly {
    id: number;
    projection: string;
    event: StoredEvent;
    error: { message: string } | null;
  }[],
  sagas: readonly { saga: string; streamId: string; steps: string[] }[],
): string {
  const depth = new Map<string, number>();
  const rows = events.map(({ event: e, published }) => {
    const cause = e.metadata.causationId;
    const d = cause !== undefined && depth.has(cause) ? (depth.get(cause) as number) + 1 : 0;
    depth.set(e.id, d);
    const marks = [
      ...published.filter((p) => p.published).map((p) => `published:${p.relay}`),
      ...(e.metadata.messageKind === 'command' ? ['command'] : []),
      ...deadLetters.filter((x) => x.event.id === e.id).map((x) => `dead letter #${x.id} (${x.projection})`),
    ];
    return [
      String(e.position),
      e.timestamp.toISOString(),
      `${'  '.repeat(d)}${d > 0 ? '└ ' : ''}${e.type}`,
      `${e.streamId}@${e.version}`,
      marks.join(', '),
    ];
  });
  const streams = new Set(events.map((e) => e.event.streamId));
  let out = `correlation ${correlationId}: ${events.length} events in ${streams.size} streams\n`;
  out += table(['POSITION', 'TIME', 'EVENT', 'STREAM', ''], rows);
  for (const s of sagas) out += `saga ${s.saga} (${s.streamId}): ${s.steps.at(-1) ?? '-'} last\n`;
  for (const d of deadLetters) {
    out += `dead letter #${d.id} in ${d.projection}: ${d.event.type} ${d.event.streamId}@${d.event.version}: ${d.error?.message ?? 'parked'}\n`;
  }
  return out;
}
