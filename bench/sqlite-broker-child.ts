// The consumer side of bench/sqlite-broker.bench.ts in its own process:
//   sqlite-broker-child <file> <namespace> <group>
// Consumes the group and, on "expect <count>" on stdin, prints {"count", "ms", "latencies"} once that
// many events arrived (ms: from the first to the last; latencies: publish → handler, ms).
import { createInterface } from 'node:readline';
import { createSqliteBroker } from '../src/messaging/index.js';
import { wallMs } from './sqlite-broker-support.js';

const [file, namespace, group] = process.argv.slice(2) as [string, string, string];
const broker = createSqliteBroker({ file, namespace });
let latencies: number[] = [];
let target = Number.POSITIVE_INFINITY;
let first = 0;
const check = () => {
  if (latencies.length < target) return;
  const line = { count: latencies.length, ms: performance.now() - first, latencies };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  latencies = [];
  target = Number.POSITIVE_INFINITY;
};
await broker.consume({ group, prefetch: 50 }, (event) => {
  if (latencies.length === 0) first = performance.now();
  latencies.push(wallMs() - Number((event.metadata as { sentAt: number }).sentAt));
  check();
});
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [command, value] = line.split(' ');
  if (command === 'expect') {
    target = Number(value);
    check();
  }
}
await broker.close();
