import { createMemoryStore, type EventStore, type SubscribeOptions } from 'factum';
import { createProjections, defineProjection, memoryProjectionStorage } from 'factum/projections';
import { expect, it } from 'vitest';

// A runner catches up by reading pages until the head it found on starting, then subscribes. Reading
// on until a page came back short would never end while appends keep every page full (on PostgreSQL,
// readAll waits for the store's own latest append, so pages come back full at any steady rate).
it('reads pages up to the head it found on starting, then follows the log through its subscription', async () => {
  const inner = createMemoryStore();
  const subscribedAfter: (bigint | undefined)[] = [];
  const store: EventStore = {
    append: (streamId, events, options) => inner.append(streamId, events, options),
    readStream: (streamId, options) => inner.readStream(streamId, options),
    readAll: (options) => inner.readAll(options),
    subscribe: (options: SubscribeOptions, handler) => {
      subscribedAfter.push(options.after);
      return inner.subscribe(options, handler);
    },
    close: () => inner.close(),
  };
  const total = 40;
  let appended = 2;
  // Every event handled appends one more while fewer than `total` exist: each page of two is full.
  const ticks = defineProjection({
    name: 'ticks',
    handles: ['Tick'],
    documents: { tick_docs: {} },
    batchSize: 2,
    async handle(event, tx) {
      await tx.documents('tick_docs').upsert(event.id, { n: (event.data as { n: number }).n });
      if (appended < total) {
        appended++;
        await inner.append('ticks', [{ type: 'Tick', data: { n: appended } }]);
      }
    },
  });
  const first = await inner.append('ticks', [
    { type: 'Tick', data: { n: 1 } },
    { type: 'Tick', data: { n: 2 } },
  ]);
  const projections = await createProjections(store, {
    async: [ticks],
    storage: memoryProjectionStorage(store),
  });
  projections.start();
  try {
    const last = async () => (await inner.readAll({ after: first.position, limit: total })).events.at(-1);
    for (;;) {
      const event = await last();
      if ((event?.data as { n: number } | undefined)?.n === total) {
        await projections.waitFor('ticks', event!.position);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(subscribedAfter).toEqual([first.position]);
    expect(await projections.documents('tick_docs').count()).toBe(total);
  } finally {
    await projections.stop();
  }
});
