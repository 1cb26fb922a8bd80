/**
 * Child process of the broker conformance suite's crash test. Usage:
 *   broker-worker <module> <namespace> <group> <out-file> <hang-at>
 * Loads `createBroker(namespace)` from <module>, consumes <group>, appends each handled event id to
 * <out-file>, and on the <hang-at>-th event writes its id and then never finishes the handler, so the
 * message stays unacknowledged until the parent kills this process with SIGKILL.
 */
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Broker } from '../messaging/broker.js';

const [modulePath, namespace, group, outFile, hangAtText] = process.argv.slice(2);
if (!modulePath || !namespace || !group || !outFile || !hangAtText) {
  process.stderr.write('usage: broker-worker <module> <namespace> <group> <out-file> <hang-at>\n');
  process.exit(2);
}
const hangAt = Number(hangAtText);
// Never outlive a test run that failed before killing this process.
setTimeout(() => process.exit(3), 60_000).unref();
const { createBroker } = (await import(pathToFileURL(modulePath).href)) as {
  createBroker: (namespace: string) => Promise<Broker>;
};
const broker = await createBroker(namespace);
let handled = 0;
await broker.consume({ group, prefetch: 10 }, async (event) => {
  handled++;
  appendFileSync(outFile, `${event.id}\n`);
  if (handled >= hangAt) await new Promise(() => {});
});
appendFileSync(outFile, 'ready\n');
