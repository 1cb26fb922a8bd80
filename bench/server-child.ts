// The server side of bench/server.bench.ts, in its own process: opens the store at argv[2], serves
// the operator API on a free port with one reader token, prints {"url": …} and, on "append <rate>
// <seconds>" on stdin, appends events carrying their send time at that rate; exits when stdin closes.
import { createInterface } from 'node:readline';
import { openStore } from '../src/open-store.js';
import { hashToken, serve } from '../src/server/index.js';

const store = await openStore(process.argv[2] as string);
const server = await serve({
  store,
  port: 0,
  tokensFromEnv: false,
  tokens: [{ name: 'bench', role: 'reader', sha256: hashToken('bench-token') }],
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

async function append(rate: number, seconds: number): Promise<number> {
  const total = rate * seconds;
  const start = performance.now();
  let sent = 0;
  const pending = new Set<Promise<unknown>>();
  while (sent < total) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < Math.min(due, total)) {
      const n = sent++;
      const p = store.append(`live-${n % 100}`, [{ type: 'Ticked', data: { n, sentAt: Date.now() } }]);
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(pending);
  return (sent / (performance.now() - start)) * 1000;
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [command, rate, seconds] = line.split(' ');
  if (command === 'append') {
    void append(Number(rate), Number(seconds)).then((achieved) =>
      process.stdout.write(`${JSON.stringify({ appended: true, achieved: Math.round(achieved) })}\n`),
    );
  }
});
lines.on('close', () => {
  void server
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
