/**
 * A consumer with an inbox in its own process, for the crash test:
 *   kafka-inbox-child <namespace> <db-file> <out-file> <hang-at>
 * Applies events to <db-file> through the inbox. After the <hang-at>-th event's transaction has
 * committed it writes `hung <id>` to <out-file> and never returns, so the Kafka offset of that event
 * is never committed: the parent kills this process with SIGKILL, exactly between the two commits.
 */
import { appendFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { consume, type Inbox, sqliteInbox } from 'factum/messaging';
import { createBroker } from './kafka-worker.js';

// Never outlive a test run that failed before killing this process.
setTimeout(() => process.exit(3), 60_000).unref();

const [namespace, file, outFile, hangAtText] = process.argv.slice(2) as [string, string, string, string];
const hangAt = Number(hangAtText);
const db = new Database(file);
const real = sqliteInbox(db);
let processed = 0;
const inbox: Inbox<Database.Database> = {
  has: (consumer, eventId) => real.has(consumer, eventId),
  async process(consumer, event, work) {
    const result = await real.process(consumer, event, work);
    if (result === 'processed' && ++processed === hangAt) {
      appendFileSync(outFile, `hung ${event.id}\n`);
      await new Promise(() => {});
    }
    return result;
  },
};
const insert = db.prepare('INSERT INTO applied (event_id, stream_id, version) VALUES (?, ?, ?)');
const broker = await createBroker(namespace);
await consume(
  broker,
  (event) => {
    insert.run(event.id, event.streamId, event.version);
  },
  { group: 'billing', inbox },
);
appendFileSync(outFile, 'ready\n');
