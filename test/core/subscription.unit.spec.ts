import { createMemoryStore, type StoredEvent, StoreUnavailableError } from 'factum';
import { describe, expect, it } from 'vitest';
import { AppendNotifier, pollingSubscription, type SourcePage } from '../../src/core/subscription.js';
import { sleep, waitUntil } from '../support/helpers.js';

describe('pollingSubscription', () => {
  it('retries reads that fail retriably, reports it in status, and neither skips nor repeats events', async () => {
    const store = createMemoryStore();
    for (let i = 1; i <= 6; i++) await store.append('order-1', [{ type: 'Step', data: { i } }]);
    const notifier = new AppendNotifier();
    let failures = 3;
    const seen: number[] = [];
    const sub = pollingSubscription(
      {
        notifier,
        pollIntervalMs: 5,
        readAll: async (o) => {
          const page = await store.readAll(o);
          if (o.after !== undefined && o.after >= 2n && failures-- > 0)
            throw new StoreUnavailableError('lost');
          return page;
        },
      },
      { batchSize: 2, retry: { initialDelayMs: 5, maxDelayMs: 5, jitter: 0 } },
      (e: StoredEvent) => {
        seen.push((e.data as { i: number }).i);
      },
    );
    await waitUntil(() => seen.length === 6);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sub.status().state).toBe('live');
    expect(sub.status().unavailable).toBeUndefined();
    await sub.unsubscribe();
  });

  it('shows while a failing read is being retried, and fails with RetriesExhausted when the retries run out', async () => {
    const notifier = new AppendNotifier();
    const errors: Error[] = [];
    const sub = pollingSubscription(
      {
        notifier,
        pollIntervalMs: 5,
        readAll: async () => {
          throw new StoreUnavailableError('down');
        },
      },
      {
        retry: { retries: 3, initialDelayMs: 20, maxDelayMs: 20, jitter: 0 },
        onError: (e) => errors.push(e),
      },
      () => {},
    );
    await waitUntil(() => sub.status().unavailable !== undefined);
    expect(sub.status().unavailable).toMatchObject({
      attempts: expect.any(Number),
      error: expect.any(Error),
    });
    await expect(sub.done).rejects.toMatchObject({ code: 'FACTUM_RETRIES_EXHAUSTED', attempts: 4 });
    expect(sub.status().state).toBe('failed');
    expect(errors).toHaveLength(1);
  });

  it('reports how long it has been held back, and polls faster meanwhile', async () => {
    const notifier = new AppendNotifier();
    let held = true;
    let reads = 0;
    const sub = pollingSubscription(
      {
        notifier,
        pollIntervalMs: 60_000,
        heldBackPollIntervalMs: 5,
        readAll: async (o): Promise<SourcePage> => {
          reads++;
          return { events: [], last: o.after ?? 0n, heldBack: held };
        },
      },
      {},
      () => {},
    );
    await waitUntil(() => reads >= 5);
    await sleep(30);
    const status = sub.status();
    expect(status.heldBackSince).toBeInstanceOf(Date);
    expect(status.heldBackMs).toBeGreaterThanOrEqual(25);
    held = false;
    await waitUntil(() => sub.status().heldBackMs === undefined);
    await sub.unsubscribe();
  });
});
