import { createMemoryStore, ErrorCodes, isFactumError, type StoredEvent } from 'factum';
import { type ObservedProjections, projectionMetrics } from 'factum/observability';
import {
  createProjections,
  defineProjection,
  type InstanceProjectionStatus,
  memoryProjectionStorage,
  type ProjectionEvents,
} from 'factum/projections';
import { Registry, register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/core/emitter.js';
import { scrape } from './support/scrape.js';

function status(name: string, changes: Partial<InstanceProjectionStatus> = {}): InstanceProjectionStatus {
  return {
    name,
    mode: 'async',
    version: 1,
    generation: 1,
    position: 0n,
    head: 0n,
    behind: 0,
    lagMs: 0,
    sla: null,
    breached: false,
    deadLetters: 0,
    parked: 0,
    paused: null,
    rebuilding: null,
    runner: null,
    local: 'standby',
    stale: false,
    ...changes,
  };
}

/** A stand-in for a Projections instance: a status to return (or throw) and an emitter to fire events. */
function fakeProjections(statuses: () => InstanceProjectionStatus[]) {
  const emitter = new Emitter<ProjectionEvents>();
  let reads = 0;
  const projections: ObservedProjections = {
    async status() {
      reads++;
      return statuses();
    },
    on: (event, listener) => emitter.on(event, listener),
  };
  return { projections, emitter, reads: () => reads };
}

const event = { id: 'e1', streamId: 'order-1' } as StoredEvent;

describe('projectionMetrics', () => {
  it('counts every instrumentation event under its projection, and close() unsubscribes and unregisters', async () => {
    const { projections, emitter } = fakeProjections(() => [status('a'), status('b', { local: undefined })]);
    const registry = new Registry();
    const metrics = projectionMetrics(projections, { registry });
    emitter.emit('checkpoint', { projection: 'a', generation: 1, position: 10n, events: 7 });
    emitter.emit('checkpoint', { projection: 'a', generation: 1, position: 15n, events: 5 });
    emitter.emit('dead-letter', { projection: 'a', id: 1, status: 'dead', event, error: new Error('x') });
    emitter.emit('dead-letter', { projection: 'a', id: 2, status: 'parked', event, error: undefined });
    emitter.emit('dead-letter', { projection: 'a', id: 3, status: 'parked', event, error: undefined });
    emitter.emit('error', { projection: 'a', error: new Error('busy') });
    for (const state of ['acquired', 'lost', 'acquired'] as const) {
      emitter.emit('lease', { projection: 'a', lease: 'projection:a', owner: 'me', state });
    }
    emitter.emit('alert', { kind: 'sla-breached', projection: 'a', lagMs: 2000, maxLagMs: 1000 });
    emitter.emit('alert', { kind: 'dead-letters', projection: 'a', dead: 1, parked: 2 });

    const m = await scrape(registry);
    const a = { projection: 'a' };
    expect(m('factum_projection_events_processed_total', a)).toBe(12);
    expect(m('factum_projection_checkpoints_total', a)).toBe(2);
    expect(m('factum_projection_dead_lettered_total', a)).toBe(1);
    expect(m('factum_projection_parked_total', a)).toBe(2);
    expect(m('factum_projection_runner_errors_total', a)).toBe(1);
    expect(m('factum_projection_lease_changes_total', { ...a, state: 'acquired' })).toBe(2);
    expect(m('factum_projection_lease_changes_total', { ...a, state: 'lost' })).toBe(1);
    expect(m('factum_projection_lease_changes_total', { ...a, state: 'released' })).toBe(0);
    expect(m('factum_projection_alerts_total', { ...a, kind: 'sla-breached' })).toBe(1);
    // Series start at 0 for the kinds a projection can raise; 'a' has no SLA in its status.
    expect(m('factum_projection_alerts_total', { ...a, kind: 'sla-recovered' })).toBeUndefined();
    expect(m('factum_projection_alerts_total', { ...a, kind: 'dead-letters' })).toBe(1);
    // 'b' does not run in this process (inline, or registered elsewhere): gauges, but no counters.
    expect(m('factum_projection_events_behind', { projection: 'b' })).toBe(0);
    expect(m('factum_projection_runner_active', { projection: 'b' })).toBeUndefined();
    expect(m('factum_projection_events_processed_total', { projection: 'b' })).toBeUndefined();

    metrics.close();
    expect(['checkpoint', 'dead-letter', 'error', 'lease', 'alert'].some((e) => emitter.has(e))).toBe(false);
    expect(await registry.metrics()).not.toContain('factum_');
  });

  it('reads the status once per scrape, and the gauges follow it', async () => {
    let current = [status('a', { behind: 4, lagMs: 2500, sla: { maxLagMs: 1000 }, breached: true })];
    const fake = fakeProjections(() => current);
    const registry = new Registry();
    projectionMetrics(fake.projections, { registry });
    const first = await scrape(registry);
    expect(fake.reads()).toBe(1);
    expect(first('factum_projection_lag_seconds', { projection: 'a' })).toBe(2.5);
    expect(first('factum_projection_sla_breached', { projection: 'a' })).toBe(1);
    current = [status('a', { sla: { maxLagMs: 1000 }, local: 'active', generation: 2 })];
    const second = await scrape(registry);
    expect(fake.reads()).toBe(2);
    expect(second('factum_projection_lag_seconds', { projection: 'a' })).toBe(0);
    expect(second('factum_projection_sla_breached', { projection: 'a' })).toBe(0);
    expect(second('factum_projection_runner_active', { projection: 'a' })).toBe(1);
    expect(second('factum_projection_generation', { projection: 'a' })).toBe(2);
  });

  it('a failed status read leaves the gauges out of that scrape, counts it and reports it; the scrape succeeds', async () => {
    let fail = false;
    const { projections } = fakeProjections(() => {
      if (fail) throw new Error('database is locked');
      return [status('a', { behind: 3 })];
    });
    const registry = new Registry();
    const errors: unknown[] = [];
    projectionMetrics(projections, { registry, onError: (error) => errors.push(error) });
    expect((await scrape(registry))('factum_projection_events_behind', { projection: 'a' })).toBe(3);
    fail = true;
    const failed = await scrape(registry);
    expect(failed('factum_projection_events_behind', { projection: 'a' })).toBeUndefined();
    expect(failed('factum_projection_status_errors_total')).toBe(1);
    expect(errors).toEqual([new Error('database is locked')]);
  });

  it("registers on prom-client's global registry by default; a name taken there is refused, a prefix avoids it", async () => {
    const { projections } = fakeProjections(() => [status('a')]);
    const metrics = projectionMetrics(projections);
    try {
      expect(metrics.registry).toBe(register);
      expect(await register.metrics()).toContain('factum_projection_events_behind{projection="a"} 0');
      let refused: unknown;
      try {
        projectionMetrics(projections);
      } catch (error) {
        refused = error;
      }
      expect(isFactumError(refused, ErrorCodes.INVALID_ARGUMENT)).toBe(true);
      expect((refused as Error).message).toMatch(
        /factum_projection_status_errors_total is already registered/,
      );
      const other = projectionMetrics(projections, { prefix: 'shop_' });
      expect(await register.metrics()).toContain('shop_projection_events_behind{projection="a"} 0');
      other.close();
    } finally {
      metrics.close();
    }
    expect(await register.metrics()).not.toMatch(/factum_|shop_/);
    // Closed metrics free their names.
    projectionMetrics(projections).close();
    expect(() => projectionMetrics(projections, { prefix: '9lives' })).toThrow(/Metric prefix "9lives"/);
  });

  it('works on the projections of a memory store (the type it takes is the Projections instance)', async () => {
    const store = createMemoryStore();
    const noop = defineProjection({ name: 'noop', handles: ['X'], handle() {} });
    const projections = await createProjections(store, {
      async: [noop],
      storage: memoryProjectionStorage(store),
    });
    const registry = new Registry();
    const metrics = projectionMetrics(projections, { registry });
    await store.append('x-1', [{ type: 'X', data: {} }]);
    const m = await scrape(registry);
    expect(m('factum_projection_events_behind', { projection: 'noop' })).toBe(1);
    metrics.close();
  });
});
