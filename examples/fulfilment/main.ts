// The order-fulfilment system: `npm start`. Four services (orders, payments, inventory, shipping),
// each on its own store, coordinated by the fulfilment saga (or, with --choreography, by reacting to
// each other) through a broker; the board copies every service's events, checks the invariants and
// serves the dashboard at http://127.0.0.1:4000. With no configuration everything runs in this
// process on SQLite files under ./data and the SQLite transport (./data/bus.db). Ctrl-C stops it;
// the next start carries on where it stopped.
//
// Distributed: FACTUM_STORE_URL=postgres://… (a schema per service) and FACTUM_BROKER_URL=amqp://… |
// nats://… | kafka://… | sqs://… | sqlite:<file>, and `--service payments` (or a list) runs only
// those roles in this process (scripts/fulfilment-demo starts one process per service).
import { parseArgs } from 'node:util';
import { type EventStore, openStore, ValidationError } from 'factum';
import { serve } from 'factum/server';
import { ALL_GROUPS } from './service.js';
import { openSystem, ROLES, type Role, startFulfilment, storeUrlOf } from './system.js';

const usage =
  'usage: npm start -- [--service orders,payments,inventory,shipping,board] [--rate 20] [--decline-rate 0.05]\n' +
  '                    [--choreography] [--port 4000] [--orders N]\n';
let values: ReturnType<typeof parse>['values'];
function parse() {
  return parseArgs({
    options: {
      service: { type: 'string', default: process.env.FACTUM_SERVICE ?? ROLES.join(',') },
      rate: { type: 'string', default: process.env.FACTUM_ORDER_RATE ?? '20' },
      'decline-rate': { type: 'string', default: '0.05' },
      choreography: { type: 'boolean', default: process.env.FACTUM_CHOREOGRAPHY === '1' },
      port: { type: 'string', default: process.env.FACTUM_PORT ?? '4000' },
      orders: { type: 'string' },
    },
  });
}
try {
  values = parse().values;
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
const rate = Number(values.rate);
const port = Number(values.port);
const roles = values.service.split(',').map((r) => r.trim()) as Role[];
const unknown = roles.filter((r) => !ROLES.includes(r));
if (!(rate > 0) || !Number.isInteger(port) || unknown.length > 0 || roles.length === 0) {
  if (unknown.length > 0) process.stderr.write(`unknown service: ${unknown.join(', ')}\n`);
  process.stderr.write(usage);
  process.exit(2);
}

const storeBase = process.env.FACTUM_STORE_URL || 'sqlite:./data';
// With stores on SQLite, the SQLite transport in the same directory is the default broker.
const brokerUrl =
  process.env.FACTUM_BROKER_URL ||
  (storeBase.startsWith('sqlite:') ? `${storeBase.replace(/\/+$/, '')}/bus.db` : undefined);
if (brokerUrl === undefined) {
  process.stderr.write(
    'FACTUM_BROKER_URL is needed with stores on PostgreSQL: amqp://…, nats://…, kafka://…, sqs://… or sqlite:<file>\n',
  );
  process.exit(2);
}
const mode = values.choreography ? 'choreographed' : 'orchestrated';
let opened: Awaited<ReturnType<typeof openSystem>>;
try {
  opened = await openSystem(roles, storeBase, brokerUrl);
} catch (error) {
  // A malformed URL is a usage error (exit 2); a store or broker that cannot be reached exits 1.
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ValidationError ? 2 : 1);
}
// A message no handler could take is set aside on the broker: say so where the operator looks.
opened.topology.broker.on('consumer.dead-lettered', ({ group, eventId, error }) =>
  process.stderr.write(`dead-lettered in ${group}: event ${eventId ?? '?'}: ${error}\n`),
);
const system = await startFulfilment(opened.topology, { mode, declineRate: Number(values['decline-rate']) });
const board = system.board;

// The dashboard runs with the board: it shows the board's copy of every stream; saga actions go to
// the orders service's store, where the saga runs.
let sagaStore: EventStore | undefined;
let server: Awaited<ReturnType<typeof serve>> | undefined;
if (board !== undefined) {
  sagaStore =
    opened.topology.stores.orders ?? (await openStore(storeUrlOf(storeBase, 'orders'), { migrate: true }));
  server = await serve({
    store: board.store,
    projections: board.projections,
    sagaStore,
    broker: opened.topology.broker,
    groups: ALL_GROUPS,
    relays: [],
    checks: () => board.checks(),
    port,
  });
}

const here = roles.length === ROLES.length ? 'all services in this process' : roles.join(', ');
process.stdout.write(
  `Order fulfilment (${mode === 'choreographed' ? 'choreographed' : 'orchestrated by the fulfilment saga'}): ${here}\n` +
    `  stores ${storeBase}, broker ${brokerUrl.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}\n` +
    (opened.topology.stores.orders === undefined ? '' : `  ${rate} orders/s\n`) +
    (server === undefined
      ? ''
      : `  dashboard: ${server.url}\n` +
        (server.generatedToken === undefined
          ? '  sign in with a token from FACTUM_TOKENS\n'
          : `  sign in with this admin token (valid while this runs): ${server.generatedToken}\n`)) +
    '  Ctrl-C stops; the next start carries on.\n',
);

const stop = new AbortController();
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  stop.abort();
  process.stdout.write('\nstopping…\n');
  await server?.close();
  await system.stop();
  if (sagaStore !== undefined && sagaStore !== opened.topology.stores.orders) await sagaStore.close();
  await opened.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

if (board !== undefined) {
  const report = setInterval(async () => {
    const t = await board.totals().catch(() => null);
    const checks = await board.checks().catch(() => []);
    if (t === null) return;
    const broken = checks.filter((c) => !c.ok).map((c) => c.name);
    process.stdout.write(
      `  placed ${t.placed}, shipped ${t.shipped}, cancelled ${t.cancelled} (${t.stockShort} stock-outs); invariants: ${broken.length === 0 ? 'all hold' : `BROKEN: ${broken.join('; ')}`}\n`,
    );
  }, 5_000);
  report.unref();
}

if (opened.topology.stores.orders !== undefined) {
  await system.generate({
    perSecond: rate,
    signal: stop.signal,
    ...(values.orders === undefined ? {} : { count: Number(values.orders) }),
  });
  if (values.orders !== undefined && !stopping && board !== undefined) {
    // A bounded run (--orders N): wait for every order to end, print the invariants, stop.
    while (!(await board.settled())) await new Promise((resolve) => setTimeout(resolve, 200));
    for (const c of await board.checks())
      process.stdout.write(`  ${c.ok ? 'ok ' : 'BROKEN'} ${c.name}: ${c.detail ?? ''}\n`);
    await shutdown();
  }
}
