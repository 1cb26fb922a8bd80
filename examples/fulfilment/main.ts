// The order-fulfilment system: `npm start`. Four services (orders, payments, inventory, shipping)
// coordinated by the fulfilment saga (or, with --choreography, by reacting to each other), on the
// embedded SQLite store (or FACTUM_STORE_URL), with orders generated at a steady rate and the
// dashboard at http://127.0.0.1:4000 showing the flow and its invariants. Ctrl-C stops it; the next
// start carries on where it stopped.
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openStore } from 'factum';
import { serve } from 'factum/server';
import { startFulfilment } from './system.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: process.env.FACTUM_ORDER_RATE ?? '20' },
    'decline-rate': { type: 'string', default: '0.05' },
    choreography: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.FACTUM_PORT ?? '4000' },
    orders: { type: 'string' },
  },
});
const rate = Number(values.rate);
const port = Number(values.port);
if (!(rate > 0) || !Number.isInteger(port)) {
  process.stderr.write(
    'usage: npm start -- [--rate 20] [--decline-rate 0.05] [--choreography] [--port 4000] [--orders N]\n',
  );
  process.exit(2);
}

const url = process.env.FACTUM_STORE_URL ?? 'sqlite:./data/fulfilment.db';
if (url.startsWith('sqlite:./data/')) mkdirSync('./data', { recursive: true });
const store = await openStore(url);
const system = await startFulfilment(store, {
  mode: values.choreography ? 'choreographed' : 'orchestrated',
  declineRate: Number(values['decline-rate']),
});
const server = await serve({ store, projections: system.projections, checks: () => system.checks(), port });

process.stdout.write(
  `Order fulfilment (${values.choreography ? 'choreographed' : 'orchestrated by the fulfilment saga'}) on ${url}\n` +
    `  ${rate} orders/s; dashboard: ${server.url}\n` +
    (server.generatedToken === undefined
      ? '  sign in with a token from FACTUM_TOKENS\n'
      : `  sign in with this admin token (valid while this runs): ${server.generatedToken}\n`) +
    '  Ctrl-C stops; the next start carries on.\n',
);

const stop = new AbortController();
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  stop.abort();
  process.stdout.write('\nstopping…\n');
  await server.close();
  await system.stop();
  await store.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

const report = setInterval(async () => {
  const t = await system.totals().catch(() => null);
  const checks = await system.checks().catch(() => []);
  if (t === null) return;
  const broken = checks.filter((c) => !c.ok).map((c) => c.name);
  process.stdout.write(
    `  placed ${t.placed}, shipped ${t.shipped}, cancelled ${t.cancelled} (${t.stockShort} stock-outs); invariants: ${broken.length === 0 ? 'all hold' : `BROKEN: ${broken.join('; ')}`}\n`,
  );
}, 5_000);
report.unref();

await system.generate({
  perSecond: rate,
  signal: stop.signal,
  ...(values.orders === undefined ? {} : { count: Number(values.orders) }),
});
if (values.orders !== undefined && !stopping) {
  // A bounded run (--orders N): wait for every order to end, print the invariants, stop.
  while (!(await system.settled())) await new Promise((resolve) => setTimeout(resolve, 200));
  for (const c of await system.checks())
    process.stdout.write(`  ${c.ok ? 'ok ' : 'BROKEN'} ${c.name}: ${c.detail ?? ''}\n`);
  await shutdown();
}
