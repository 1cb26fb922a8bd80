import { ConcurrencyError, newEventId, type StoredEvent } from 'factum';
import { createPostgresStore, encodePosition } from 'factum/postgres';
import { describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';

const postgres = await probePostgres();

const WRITERS = 16;
const HOLD_MS = 2000;

describe.skipIf(!postgres.available)('PostgreSQL global log under concurrency', () => {
  const { pool, dropLater } = testPool({ max: WRITERS + 4 });
  const nextSchema = schemaNamer('factum_gapfree');

  it('delivers every committed event exactly once, in order, while 16 writers race, some conflict, and one transaction stays open for seconds', async () => {
    const schema = nextSchema();
    dropLater(schema);
    const writer = await createPostgresStore({ pool, schema, migrate: true, maxConcurrentAppends: WRITERS });
    // The subscriber lives in another store: it learns of appends through LISTEN/NOTIFY and polling.
    const reader = await createPostgresStore({ pool, schema, heldBackPollIntervalMs: 20 });

    const received: StoredEvent[] = [];
    const subscription = reader.subscribe({ batchSize: 50 }, (e) => {
      received.push(e);
    });

    // A naive reader: position order, resume after the last position seen, no in-flight horizon —
    // what a reader ordered by a bigserial does. It must miss the late-committing event below.
    const naive: bigint[] = [];
    let naiveRunning = true;
    const naiveLoop = (async () => {
      let after = 0n;
      while (naiveRunning) {
        const { rows } = await pool.query<{ position: string }>(
          `SELECT position::text FROM "${schema}".factum_events WHERE position > $1 ORDER BY position LIMIT 500`,
          [after.toString()],
        );
        for (const row of rows) naive.push(BigInt(row.position));
        if (rows.length > 0) after = naive.at(-1)!;
        else await sleep(10);
      }
    })();

    // 16 writers append to 24 shared streams until told to stop; every fourth append of each writer
    // uses a stale expected version and must fail with ConcurrencyError, and races add more.
    const committed = new Set<string>();
    let conflicts = 0;
    let writing = true;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; writing; i++) {
        const streamId = `tally-${(w * 7 + i) % 24}`;
        const { version } = await writer.readStream(streamId, { direction: 'backward', limit: 1 });
        const expectedVersion = i % 4 === 3 ? version + 3 : version;
        const size = 1 + ((w + i) % 3);
        try {
          const events = Array.from({ length: size }, (_, n) => ({
            id: newEventId(),
            type: 'Counted',
            data: { w, i, n },
          }));
          await writer.append(streamId, events, { expectedVersion });
          for (const e of events) committed.add(e.id);
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
          conflicts++;
        }
      }
    });

    // The slow writer: its transaction takes its transaction id (its position) early, then stays
    // open while the others commit hundreds of events at higher positions.
    await sleep(200);
    const slow = await pool.connect();
    let slowPosition: bigint;
    let heldBackDuringHold = 0;
    let storeHeldBackDuringHold = 0;
    let naiveMaxBeforeCommit = 0n;
    let deliveredBeyondSlow = false;
    const slowId = '0190f3c2-7a1e-7c55-9b1e-000000000001';
    try {
      await slow.query('BEGIN');
      const { rows } = await slow.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
      slowPosition = encodePosition(BigInt(rows[0]!.xid), 1);
      await slow.query(
        `INSERT INTO "${schema}".factum_events
           (position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
         VALUES ($1, $2, 'slow-1', 1, 'slow', 'SlowCommitted', 1, '{}', '{}', now())`,
        [slowPosition.toString(), slowId],
      );
      await slow.query(`SELECT pg_sleep(${HOLD_MS / 1000})`);
      heldBackDuringHold = subscription.status().heldBackMs ?? 0;
      storeHeldBackDuringHold = reader.heldBack().heldBackMs;
      naiveMaxBeforeCommit = naive.at(-1) ?? 0n;
      deliveredBeyondSlow = received.some((e) => e.position > slowPosition);
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    committed.add(slowId);
    await sleep(300);
    writing = false;
    await Promise.all(writers);

    await waitUntil(() => received.length >= committed.size, 15_000);
    await sleep(100);
    await subscription.unsubscribe();
    naiveRunning = false;
    await naiveLoop;

    // The scenario is the dangerous one: while the slow transaction was open, committed events with
    // higher positions existed and a naive reader went past its position…
    expect(conflicts).toBeGreaterThan(0);
    expect(naiveMaxBeforeCommit).toBeGreaterThan(slowPosition!);
    expect(naive).not.toContain(slowPosition!);
    // …the subscriber did not: it waited (visibly), then received everything exactly once, in order.
    expect(deliveredBeyondSlow).toBe(false);
    expect(heldBackDuringHold).toBeGreaterThan(HOLD_MS / 2);
    expect(storeHeldBackDuringHold).toBeGreaterThan(HOLD_MS / 2);
    expect(subscription.status().heldBackMs).toBeUndefined();

    const ids = received.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(committed);
    for (let k = 1; k < received.length; k++) {
      expect(received[k]!.position).toBeGreaterThan(received[k - 1]!.position);
    }
    expect(received.find((e) => e.id === slowId)?.position).toBe(slowPosition!);
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM "${schema}".factum_events`,
    );
    expect(Number(rows[0]!.n)).toBe(received.length);

    // readAll pages through the same log in the same order (an empty page only means "nothing more
    // yet": another test's transaction may hold readers back for a moment).
    const all: string[] = [];
    const deadline = Date.now() + 10_000;
    for (let after = 0n; all.length < ids.length && Date.now() < deadline; ) {
      const page = await reader.readAll({ after, limit: 97 });
      if (page.events.length === 0) await sleep(20);
      all.push(...page.events.map((e) => e.id));
      after = page.last;
    }
    expect(all).toEqual(ids);
    await reader.close();
    await writer.close();
  });
});
