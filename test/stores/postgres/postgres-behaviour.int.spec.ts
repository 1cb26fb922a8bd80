import { type AppendResult, ConcurrencyError, ErrorCodes, type StoredEvent } from 'factum';
import { createPostgresStore, decodePosition, MAX_EVENTS_PER_TRANSACTION } from 'factum/postgres';
import { describe, expect, it } from 'vitest';
import { sleep } from '../../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL store specifics', () => {
  const { pool, dropLater } = testPool({ max: 10 });
  const nextSchema = schemaNamer('factum_pgspec');
  const open = async (options: Parameters<typeof createPostgresStore>[0] = {}) => {
    const schema = nextSchema();
    dropLater(schema);
    return createPostgresStore({ pool, schema, migrate: true, ...options });
  };

  it('stores data and metadata as the exact JSON appended: U+0000, unpaired surrogates, key order', async () => {
    const store = await open();
    const data = { z: 1, a: 'nul:\u0000', lone: '\ud800', pair: '🚀', nested: { b: [1.5, null], a: true } };
    const metadata = { correlationId: 'c\u0000', extra: '\udfff' };
    await store.append('order-1', [{ type: 'Odd', data, metadata }]);
    const [event] = (await store.readStream('order-1')).events as [StoredEvent];
    expect(event.data).toEqual(data);
    expect(Object.keys(event.data as object)).toEqual(['z', 'a', 'lone', 'pair', 'nested']);
    expect(event.metadata).toEqual(metadata);
    expect((await store.readAll()).events[0]!.data).toEqual(data);
    await store.close();
  });

  it('refuses what PostgreSQL text cannot hold, and appends larger than a transaction can number', async () => {
    const store = await open();
    await expect(store.append('order-\ud800', [{ type: 'T', data: {} }])).rejects.toMatchObject({
      code: ErrorCodes.INVALID_STREAM_ID,
    });
    await expect(store.append('order-1', [{ type: 'T\udc00', data: {} }])).rejects.toMatchObject({
      code: ErrorCodes.INVALID_EVENT,
      field: 'events[0].type',
    });
    const tooMany = Array.from({ length: MAX_EVENTS_PER_TRANSACTION + 1 }, () => ({ type: 'T', data: {} }));
    await expect(store.append('order-1', tooMany)).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      field: 'events',
    });
    expect((await store.readAll()).events).toEqual([]);
    await store.close();
  });

  it('an empty filtered page of readAll has last = after', async () => {
    const store = await open();
    const { position } = await store.append('order-1', [{ type: 'Placed', data: {} }]);
    await store.append('order-2', [
      { type: 'Placed', data: {} },
      { type: 'Shipped', data: {} },
    ]);
    for (const filter of [{ types: ['Refunded'] }, { categories: ['invoice'] }]) {
      expect(await store.readAll({ ...filter })).toEqual({ events: [], last: 0n });
      expect(await store.readAll({ after: position, ...filter })).toEqual({ events: [], last: position });
    }
    await store.close();
  });

  it("numbers an append's events 1..n within its transaction, contiguously", async () => {
    const store = await open();
    const result = await store.append(
      'order-1',
      Array.from({ length: 5 }, (_, n) => ({ type: 'Step', data: { n } })),
    );
    const { events } = await store.readStream('order-1');
    const decoded = events.map((e) => decodePosition(e.position));
    expect(new Set(decoded.map((d) => d.transactionId)).size).toBe(1);
    expect(decoded.map((d) => d.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(result.position).toBe(events[4]!.position);
    await store.close();
  });

  it('groups queued appends into one transaction, each with its own outcome', async () => {
    // One append statement at a time: while the first runs, the others queue and go together.
    const store = await open({ maxConcurrentAppends: 1 });
    await store.append('order-conflict', [{ type: 'Placed', data: {} }]);
    const attempts = [
      store.append('order-0', [{ type: 'Placed', data: {} }]),
      ...Array.from({ length: 6 }, (_, i) =>
        store.append(`order-${i + 1}`, [
          { type: 'Placed', data: { i } },
          { type: 'Paid', data: { i } },
        ]),
      ),
      store.append('order-conflict', [{ type: 'Placed', data: {} }], { expectedVersion: 'no_stream' }),
      store.append('order-1', [{ type: 'Shipped', data: {} }], { expectedVersion: 2 }),
    ];
    const results = await Promise.allSettled(attempts);
    expect(results.map((r) => r.status)).toEqual([...Array(7).fill('fulfilled'), 'rejected', 'fulfilled']);
    expect((results[7] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect((results[7] as PromiseRejectedResult).reason).toMatchObject({ actual: 1 });
    expect((await store.readStream('order-1')).events.map((e) => e.type)).toEqual([
      'Placed',
      'Paid',
      'Shipped',
    ]);
    const all = (await store.readAll()).events;
    const transactions = new Set(all.map((e) => decodePosition(e.position).transactionId));
    expect(transactions.size).toBeLessThan(all.length - 5);
    // Each append's events stay contiguous in the log, even inside a shared transaction.
    for (let i = 1; i <= 6; i++) {
      const at = all.findIndex((e) => e.streamId === `order-${i}`);
      expect(all.slice(at, at + 2).map((e) => [e.streamId, e.version])).toEqual([
        [`order-${i}`, 1],
        [`order-${i}`, 2],
      ]);
    }
    // Each result names its append's last event as stored: its version and its position.
    const streams = ['order-0', ...Array.from({ length: 6 }, (_, i) => `order-${i + 1}`)];
    for (const [i, streamId] of streams.entries()) {
      const stored = (await store.readStream(streamId)).events;
      const written = i === 1 ? stored[1]! : stored.at(-1)!;
      expect((results[i] as PromiseFulfilledResult<AppendResult>).value).toEqual({
        nextExpectedVersion: written.version,
        position: written.position,
      });
    }
    expect((results[8] as PromiseFulfilledResult<AppendResult>).value.position).toBe(
      all.find((e) => e.type === 'Shipped')!.position,
    );
    await store.close();
  });

  it('without LISTEN, subscribers still find appends from another store by polling', async () => {
    const writer = await open();
    const reader = await createPostgresStore({
      pool,
      schema: writer.schema,
      listen: false,
      pollIntervalMs: 20,
    });
    const seen: string[] = [];
    const subscription = reader.subscribe({}, (e) => {
      seen.push(e.streamId);
    });
    await writer.append('order-1', [{ type: 'Placed', data: {} }]);
    await writer.append('order-2', [{ type: 'Placed', data: {} }]);
    const deadline = Date.now() + 10_000;
    while (seen.length < 2 && Date.now() < deadline) await sleep(10);
    expect(seen).toEqual(['order-1', 'order-2']);
    expect(reader.listening).toBe(false);
    await subscription.unsubscribe();
    await reader.close();
    await writer.close();
  });

  it('an append followed by readAll reads it, even while an unrelated transaction holds readers back', async () => {
    const store = await open();
    const impatient = await createPostgresStore({ pool, schema: store.schema, readYourWritesTimeoutMs: 0 });
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_current_xact_id()');
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      // Another store did not write it: it returns at once, without the event, and says why.
      expect((await impatient.readAll()).events).toEqual([]);
      expect(impatient.heldBack().heldBackMs).toBeGreaterThanOrEqual(0);
      expect(impatient.heldBack().heldBackSince).toBeInstanceOf(Date);
      const started = Date.now();
      const read = store.readAll();
      setTimeout(() => void holder.query('COMMIT'), 300);
      expect((await read).events.map((e) => e.streamId)).toEqual(['order-1']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      holder.release();
    }
    // (Another test's transaction may hold every reader back for a moment: poll, do not assume.)
    const deadline = Date.now() + 10_000;
    while ((await impatient.readAll()).events.length === 0 && Date.now() < deadline) await sleep(20);
    expect(impatient.heldBack()).toMatchObject({ heldBackMs: 0, heldBackSince: undefined });
    await impatient.close();
    await store.close();
  });
});
