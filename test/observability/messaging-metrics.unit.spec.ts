import type { Broker, BrokerEvents, ConsumerLag } from 'factum/messaging';
import { messagingMetrics } from 'factum/observability';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/core/emitter.js';
import { scrape } from './support/scrape.js';

/** A broker stand-in: lag per group from a map (a missing group throws), events from an emitter. */
function fakeBroker(lags: Map<string, number>) {
  const emitter = new Emitter<BrokerEvents>();
  const broker = {
    name: 'fake',
    capabilities: { orderedCompetingConsumers: false },
    async publish() {},
    async declareGroup() {},
    async consume(): Promise<never> {
      throw new Error('not used');
    },
    async lag(group: string): Promise<ConsumerLag> {
      const lag = lags.get(group);
      if (lag === undefined) throw new Error(`no queue for ${group}`);
      return { group, lag, partitions: [] };
    },
    async deadLetters() {
      return [];
    },
    on: ((event, listener) => emitter.on(event, listener)) as Broker['on'],
    async close() {},
  } satisfies Broker;
  return { broker, emitter };
}

describe('messagingMetrics', () => {
  it('reads each group lag at scrape time, counts broker events, and leaves out a lag it could not read', async () => {
    const lags = new Map([
      ['billing', 3],
      ['shipping', 0],
    ]);
    const { broker, emitter } = fakeBroker(lags);
    const registry = new Registry();
    const errors: unknown[] = [];
    const metrics = messagingMetrics(
      { broker, groups: ['billing', 'shipping'] },
      { registry, onError: (e) => errors.push(e) },
    );
    const billing = { broker: 'fake', group: 'billing' };
    emitter.emit('consumer.retry', { group: 'billing', eventId: 'e1', attempt: 1, error: new Error('x') });
    emitter.emit('consumer.dead-lettered', {
      group: 'billing',
      reason: 'invalid-message',
      error: 'not JSON',
    });
    emitter.emit('broker.disconnected', {});

    const first = await scrape(registry);
    expect(first('factum_consumer_lag_messages', billing)).toBe(3);
    expect(first('factum_consumer_lag_messages', { broker: 'fake', group: 'shipping' })).toBe(0);
    expect(first('factum_consumer_retries_total', billing)).toBe(1);
    expect(first('factum_consumer_dead_lettered_total', { ...billing, reason: 'invalid-message' })).toBe(1);
    expect(first('factum_consumer_dead_lettered_total', { ...billing, reason: 'handler-failed' })).toBe(0);
    expect(first('factum_broker_disconnects_total', { broker: 'fake' })).toBe(1);
    // No relays given: no relay metrics.
    expect(first.text).not.toContain('factum_relay_');

    lags.set('billing', 1);
    lags.delete('shipping');
    const second = await scrape(registry);
    expect(second('factum_consumer_lag_messages', billing)).toBe(1);
    expect(second('factum_consumer_lag_messages', { broker: 'fake', group: 'shipping' })).toBeUndefined();
    expect(second('factum_consumer_lag_errors_total', { broker: 'fake', group: 'shipping' })).toBe(1);
    expect(errors).toEqual([new Error('no queue for shipping')]);

    metrics.close();
    expect(emitter.has('consumer.retry') || emitter.has('consumer.dead-lettered')).toBe(false);
    expect(await registry.metrics()).toBe('\n');
  });
});
