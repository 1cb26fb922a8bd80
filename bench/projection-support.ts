import type { StoredEvent } from '../src/core/envelope.js';
import type { EventStore } from '../src/core/store.js';
import { createProjections, defineProjection, type Projection } from '../src/projections/index.js';
import { benchPayload, since } from './support.js';

/** The benchmarked projection: one upsert per OrderPlaced event, one declared index. */
export function simpleProjection(name: string, collection: string): Projection {
  return defineProjection({
    name,
    handles: ['OrderPlaced'],
    documents: { [collection]: { indexes: ['customerId'] } },
    async handle(event: StoredEvent, tx) {
      const data = event.data as { orderId: string; customerId: string; total: number };
      await tx
        .documents(collection)
        .upsert(data.orderId, { orderId: data.orderId, customerId: data.customerId, total: data.total });
    },
  });
}

/** Appends `count` benchmark events in appends of 100 (one stream per append). */
export async function fillLog(store: EventStore, count: number): Promise<void> {
  const perAppend = 100;
  for (let i = 0; i < count; i += perAppend) {
    const events = Array.from({ length: Math.min(perAppend, count - i) }, (_, k) => {
      const p = benchPayload(i + k);
      return { type: 'OrderPlaced', data: p.data, metadata: p.metadata };
    });
    await store.append(`order-${i / perAppend}`, events);
  }
}

/** Events per second of paging through the whole log with readAll (pages of 1,000). */
export async function readAllRate(store: EventStore): Promise<number> {
  let n = 0;
  const start = performance.now();
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: 1000 });
    if (page.events.length === 0) break;
    n += page.events.length;
    after = page.last;
  }
  return (n / since(start)) * 1000;
}

/** Times a rebuild of the simple projection over the whole log and checks it produced `expected` documents. */
export async function timeRebuild(
  store: EventStore,
  expected: number,
): Promise<{ ms: number; events: number }> {
  const projection = simpleProjection('bench_rebuild', 'bench_rebuild_docs');
  const projections = await createProjections(store, { async: [projection] });
  const start = performance.now();
  const result = await projections.rebuild(projection.name);
  const ms = since(start);
  const docs = await projections.documents('bench_rebuild_docs').count();
  if (docs !== expected) throw new Error(`rebuild produced ${docs} documents, expected ${expected}`);
  return { ms, events: result.events };
}
