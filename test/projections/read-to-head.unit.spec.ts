import { createMemoryStore, type EventStore, type SubscribeOptions } from 'factum';
import {
  createProjections,
  defineProjection,
  memoryProjectionStorage,
  type Projection,
  type Projections,
} from 'factum/projections';
import { expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';

// Catching up and rebuilding read the log in pages up to the head found when they start, never until
// a page comes back short: that would not end while appends keep every page full (on PostgreSQL,
// readAll waits for the store's own latest append, so its pages come back full at any steady rate).
// Here every event handled appends one more (until `total`), so each page of two is full.

const total = 40;

interface SelfFeeding {
  inner: EventStore;
  /** The store the projections use; records the `after` of every subscription. */
  store: EventStore;
  subscribedAfter: (bigint | undefined)[];
  projection: Projection;
  /** Positions of the events by their number (1-based), as they are appended. */
  positions: Map<number, bigint>;
}

async function selfFeeding(): Promise<SelfFeeding> {
  const inner = createMemoryStore();
  const subscribedAfter: (bigint | undefined)[] = [];
  const positions = new Map<number, bigint>();
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
  const tick = async (n: number) => {
    const { position } = await inner.append('ticks', [{ type: 'Tick', data: { n } }]);
    positions.set(n, position);
  };
  let appended = 0;
  const projection = defineProjection({
    name: 'ticks',
    handles: ['Tick'],
    documents: { tick_docs: {} },
    batchSize: 2,
    async handle(event, tx) {
      await tx.documents('tick_docs').upsert(event.id, { n: (event.data as { n: number }).n });
      if (appended < total) await tick(++appended);
    },
  });
  await tick(++appended);
  await tick(++appended);
  return { inner, store, subscribedAfter, projection, positions };
}

async function open(feed: SelfFeeding): Promise<Projections> {
  return createProjections(feed.store, {
    async: [feed.projection],
    storage: memoryProjectionStorage(feed.store),
  });
}

/** Waits until all `total` events are appended and applied. */
async function settle(feed: SelfFeeding, projections: Projections): Promise<void> {
  while (!feed.positions.has(total)) await sleep(5);
  await projections.waitFor('ticks', feed.positions.get(total)!);
}

it('a runner reads pages up to the head it found on starting, then follows the log through its subscription', async () => {
  const feed = await selfFeeding();
  const projections = await open(feed);
  projections.start();
  try {
    await settle(feed, projections);
    expect(feed.subscribedAfter).toEqual([feed.positions.get(2)]);
    expect(await projections.documents('tick_docs').count()).toBe(total);
  } finally {
    await projections.stop();
  }
});

it('a rebuild replays up to the head it found on starting, its swap up to the head then; the runner does the rest', async () => {
  const feed = await selfFeeding();
  const projections = await open(feed);
  // Replay: events 1-2 (appending 3-4); swap: 3-4 (appending 5-6).
  const result = await projections.rebuild('ticks', { batchSize: 2 });
  expect(result.events).toBe(4);
  expect(result.position).toBe(feed.positions.get(4));
  projections.start();
  try {
    await settle(feed, projections);
    expect(await projections.documents('tick_docs').count()).toBe(total);
  } finally {
    await projections.stop();
  }
});
