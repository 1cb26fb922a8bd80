// Async projection catch-up into Redis, one JSON line: a new async runner of the simple projection
// (one upsert per event, one declared index) over 50,000 events in a SQLite log, documents and
// checkpoints in Redis, beside raw pipelined writes of the same documents and index entries (no
// checkpoint, no log reading) in the same run. Redis at FACTUM_REDIS_URL (default 127.0.0.1:6379).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { createProjections } from '../src/projections/index.js';
import { redisProjectionStorage } from '../src/projections/redis/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { deleteKeys } from '../test/support/redis-keys.js';
import { fillLog, simpleProjection } from './projection-support.js';
import { rate, report, since } from './support.js';

const url = process.env.FACTUM_REDIS_URL ?? 'redis://127.0.0.1:6379';
const events = Number(process.env.FACTUM_BENCH_EVENTS ?? 50_000);
const dir = mkdtempSync(join(tmpdir(), 'factum-bench-redis-'));
const prefix = `factum_bench:${process.pid}`;
const client = createClient({ url });
await client.connect();

try {
  const store = createSqliteStore(join(dir, 'log.db'), { synchronous: 'NORMAL' });
  await fillLog(store, events);
  const docs: { id: string; json: string; customerId: string }[] = [];
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: 1000 });
    if (page.events.length === 0) break;
    for (const e of page.events) {
      const d = e.data as { orderId: string; customerId: string; total: number };
      const doc = { orderId: d.orderId, customerId: d.customerId, total: d.total };
      docs.push({ id: d.orderId, json: JSON.stringify(doc), customerId: d.customerId });
    }
    after = page.last;
  }

  // Raw: the same documents and index entries, pipelined in batches of 500.
  const raw = `${prefix}:raw`;
  let start = performance.now();
  for (let i = 0; i < docs.length; i += 500) {
    const pipeline = client.multi();
    for (const d of docs.slice(i, i + 500)) {
      const set = `${raw}:i:${JSON.stringify([d.customerId])}`;
      pipeline.hSet(`${raw}:docs`, d.id, d.json);
      pipeline.sAdd(set, d.id);
      pipeline.hSet(`${raw}:ix`, d.id, JSON.stringify([set]));
    }
    await pipeline.execAsPipeline();
  }
  const rawRate = (docs.length / since(start)) * 1000;

  const projection = simpleProjection('bench_redis', 'bench_redis_docs');
  const storage = redisProjectionStorage({ client, store, prefix });
  const projections = await createProjections(store, { async: [projection], storage });
  const head = (await projections.status(projection.name))[0]!.head;
  start = performance.now();
  projections.start();
  await projections.waitFor(projection.name, head, { timeoutMs: 120_000 });
  const ms = since(start);
  await projections.stop();
  const count = await projections.documents('bench_redis_docs').count();
  const distinct = new Set(docs.map((d) => d.id)).size;
  if (count !== distinct) throw new Error(`catch-up wrote ${count} documents, expected ${distinct}`);
  await store.close();

  report(
    'redis-projection',
    { catchUp: rate(events, ms, Math.round(rawRate), '>= 0.5 of raw pipelined writes') },
    { events, documents: count, batchSize: projection.batchSize },
  );
} finally {
  await deleteKeys(client, `${prefix}:*`);
  client.destroy();
  rmSync(dir, { recursive: true, force: true });
}
