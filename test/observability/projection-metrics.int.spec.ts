import { join } from 'node:path';
import type { EventStore } from 'factum';
import { type Metrics, projectionMetrics } from 'factum/observability';
import { createPostgresStore } from 'factum/postgres';
import {
  createProjections,
  defineProjection,
  type Projection,
  type ProjectionAlert,
  type ProjectionStorage,
  type Projections,
  postgresProjectionStorage,
} from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';
import { scrape } from './support/scrape.js';

const postgres = await probePostgres();
const dir = tempDir('factum-metrics-');

/** A fresh store; with an offset, events look `clockOffsetMs` old to the projections as they arrive. */
type Factory = (clockOffsetMs?: number) => Promise<{ store: EventStore; storage?: ProjectionStorage }>;

const NAME = 'order_lines';
const of = { projection: NAME };

function orderLines(
  options: { sla?: { maxLagMs: number }; poison?: string; gate?: () => Promise<void> } = {},
): Projection {
  return defineProjection({
    name: NAME,
    handles: ['OrderPlaced', 'LineAdded'],
    documents: { order_lines: {} },
    retry: { retries: 0 },
    ...(options.sla === undefined ? {} : { sla: options.sla }),
    async handle(event, tx) {
      await options.gate?.();
      if (event.type === 'OrderPlaced' && event.streamId === options.poison) {
        throw new Error(`cannot place ${event.streamId}`);
      }
      await tx.documents(NAME).upsert(event.streamId, { last: event.type, version: event.version });
    },
  });
}

/** Appends `count` orders of three events each (one of a type the projection does not handle). */
async function placeOrders(store: EventStore, count: number): Promise<bigint> {
  let position = 0n;
  for (let i = 0; i < count; i++) {
    ({ position } = await store.append(`order-${i}`, [
      { type: 'OrderPlaced', data: {} },
      { type: 'LineAdded', data: {} },
      { type: 'Noted', data: {} },
    ]));
  }
  return position;
}

/** Resolves at the checkpoint event that reaches `position` (metrics listen first, so they have counted it). */
function reached(projections: Projections, position: bigint): Promise<void> {
  return new Promise((resolve) => {
    const off = projections.on('checkpoint', (c) => {
      if (c.projection === NAME && c.position >= position) {
        off();
        resolve();
      }
    });
  });
}

function alerted(projections: Projections, kind: ProjectionAlert['kind']): Promise<ProjectionAlert> {
  return new Promise((resolve) => {
    const off = projections.on('alert', (a) => {
      if (a.projection === NAME && a.kind === kind) {
        off();
        resolve(a);
      }
    });
  });
}

function describeProjectionMetrics(factory: Factory): void {
  const open: { store: EventStore; projections: Projections; metrics: Metrics }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.projections.stop();
      o.metrics.close();
      await o.store.close();
    }
  });

  const setup = async (projection: Projection, clockOffsetMs?: number) => {
    const { store, storage } = await factory(clockOffsetMs);
    const projections = await createProjections(store, {
      async: [projection],
      monitorEveryMs: 50,
      ...(storage === undefined ? {} : { storage }),
    });
    const metrics = projectionMetrics(projections, { registry: new Registry() });
    open.push({ store, projections, metrics });
    return { store, projections, metrics };
  };

  it('catching up counts the events and checkpoints, lowers events behind, and shows the active runner', async () => {
    const { store, projections, metrics } = await setup(orderLines());
    const head = await placeOrders(store, 10);
    const [status] = await projections.status(NAME);

    const before = await scrape(metrics.registry);
    expect(before('factum_projection_events_behind', of)).toBe(30);
    expect(before('factum_projection_lag_seconds', of)).toBeGreaterThanOrEqual(0);
    expect(before('factum_projection_generation', of)).toBe(status!.generation);
    expect(before('factum_projection_runner_active', of)).toBe(0);
    expect(before('factum_projection_events_processed_total', of)).toBe(0);
    expect(before('factum_projection_checkpoints_total', of)).toBe(0);
    expect(before('factum_projection_lease_changes_total', { ...of, state: 'acquired' })).toBe(0);
    // No SLA declared: no SLA series.
    expect(before('factum_projection_sla_breached', of)).toBeUndefined();

    const caughtUp = reached(projections, head);
    projections.start();
    await caughtUp;
    const after = await scrape(metrics.registry);
    expect(after('factum_projection_events_behind', of)).toBe(0);
    expect(after('factum_projection_lag_seconds', of)).toBe(0);
    // Every event the checkpoint passed, handled or not, counted once.
    expect(after('factum_projection_events_processed_total', of)).toBe(30);
    expect(after('factum_projection_checkpoints_total', of)).toBeGreaterThanOrEqual(1);
    expect(after('factum_projection_runner_active', of)).toBe(1);
    expect(after('factum_projection_lease_changes_total', { ...of, state: 'acquired' })).toBe(1);

    // Live appends keep counting.
    const { position } = await store.append('order-99', [{ type: 'OrderPlaced', data: {} }]);
    const live = reached(projections, position);
    await live;
    expect((await scrape(metrics.registry))('factum_projection_events_processed_total', of)).toBe(31);

    await projections.stop();
    const stopped = await scrape(metrics.registry);
    expect(stopped('factum_projection_runner_active', of)).toBe(0);
    expect(stopped('factum_projection_lease_changes_total', { ...of, state: 'released' })).toBe(1);
  });

  it('an SLA breach sets the breached gauge to 1 and recovery sets it back to 0; both alerts are counted', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The projections' clock runs 10 s ahead of the events: every event looks 10 s old.
    const { store, projections, metrics } = await setup(
      orderLines({ sla: { maxLagMs: 1_000 }, gate: () => gate }),
      10_000,
    );

    const empty = await scrape(metrics.registry);
    expect(empty('factum_projection_sla_breached', of)).toBe(0);
    expect(empty('factum_projection_sla_max_lag_seconds', of)).toBe(1);

    const head = await placeOrders(store, 5);
    const breached = await scrape(metrics.registry);
    expect(breached('factum_projection_sla_breached', of)).toBe(1);
    expect(breached('factum_projection_lag_seconds', of)).toBeGreaterThanOrEqual(10);
    expect(breached('factum_projection_events_behind', of)).toBe(15);

    // The runner holds its first batch at the gate: the alert fires from the batch in progress.
    const breachAlert = alerted(projections, 'sla-breached');
    const recoveryAlert = alerted(projections, 'sla-recovered');
    const caughtUp = reached(projections, head);
    projections.start();
    await breachAlert;
    release();
    await caughtUp;
    await recoveryAlert;

    const recovered = await scrape(metrics.registry);
    expect(recovered('factum_projection_sla_breached', of)).toBe(0);
    expect(recovered('factum_projection_lag_seconds', of)).toBe(0);
    expect(recovered('factum_projection_events_behind', of)).toBe(0);
    expect(recovered('factum_projection_alerts_total', { ...of, kind: 'sla-breached' })).toBe(1);
    expect(recovered('factum_projection_alerts_total', { ...of, kind: 'sla-recovered' })).toBe(1);
  });

  it('a dead-lettered event raises the dead-letter gauge and counters; skipping it lowers the gauges', async () => {
    const { store, projections, metrics } = await setup(orderLines({ poison: 'order-1' }));
    await placeOrders(store, 3);
    const { position: head } = await store.append('order-1', [{ type: 'LineAdded', data: {} }]);

    const before = await scrape(metrics.registry);
    expect(before('factum_projection_dead_letters', of)).toBe(0);
    expect(before('factum_projection_parked_events', of)).toBe(0);
    expect(before('factum_projection_dead_lettered_total', of)).toBe(0);

    const caughtUp = reached(projections, head);
    projections.start();
    await caughtUp;
    // order-1's OrderPlaced is dead-lettered; its two LineAdded wait behind it; the other orders flow.
    const dead = await scrape(metrics.registry);
    expect(dead('factum_projection_dead_letters', of)).toBe(1);
    expect(dead('factum_projection_parked_events', of)).toBe(2);
    expect(dead('factum_projection_dead_lettered_total', of)).toBe(1);
    expect(dead('factum_projection_parked_total', of)).toBe(2);
    expect(dead('factum_projection_events_processed_total', of)).toBe(10);

    const [letter] = await projections.listDeadLetters({ projection: NAME, status: 'dead' });
    await projections.skipDeadLetter(letter!.id);
    // Carried out now, or by the runner's next check if that took the request first.
    await waitFor(
      'the dead letter and its parked events are gone',
      async () => (await projections.listDeadLetters({ projection: NAME })).length === 0,
      10_000,
    );
    const skipped = await scrape(metrics.registry);
    expect(skipped('factum_projection_dead_letters', of)).toBe(0);
    expect(skipped('factum_projection_parked_events', of)).toBe(0);
    // Counters count what happened; they never go down.
    expect(skipped('factum_projection_dead_lettered_total', of)).toBe(1);
  });
}

describe('projectionMetrics on the SQLite store', () => {
  let n = 0;
  describeProjectionMetrics(async (clockOffsetMs = 0) => ({
    // The store stamps events `clockOffsetMs` in the past.
    store: createSqliteStore(join(dir, `metrics-${++n}.db`), {
      now: () => new Date(Date.now() - clockOffsetMs),
    }),
  }));
});

describe.skipIf(!postgres.available)('projectionMetrics on the PostgreSQL store', () => {
  const { pool, dropLater } = testPool();
  const nextSchema = schemaNamer('factum_metrics');
  describeProjectionMetrics(async (clockOffsetMs) => {
    const schema = nextSchema();
    dropLater(schema);
    const store = await createPostgresStore({ pool, schema, migrate: true });
    return clockOffsetMs === undefined
      ? { store }
      : { store, storage: postgresProjectionStorage(store, { now: () => Date.now() + clockOffsetMs }) };
  });
});
