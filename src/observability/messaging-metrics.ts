import type { Broker } from '../messaging/broker.js';
import { DEAD_LETTER_REASONS } from '../messaging/broker.js';
import type { Relay } from '../messaging/relay.js';
import { MetricSet, type Metrics, type MetricsOptions, sharedRead } from './metric-set.js';

/** What messagingMetrics watches; each part is optional. */
export interface MessagingMetricsSources {
  /** Relays of this process (labelled by `relay`: the source's name). */
  relays?: readonly Relay[];
  /** The broker whose consumer events are counted (labelled by `broker`: its name). */
  broker?: Broker;
  /** Consumer groups whose lag is read from `broker` at each scrape. */
  groups?: readonly string[];
}

/**
 * Prometheus metrics of the messaging side: relays (running, events published, retries) and a broker's
 * consumers (lag per group, read from `broker.lag(group)` at scrape time; handler retries,
 * dead-lettered messages by reason, disconnections, counted from the broker's events).
 */
export function messagingMetrics(sources: MessagingMetricsSources, options: MetricsOptions = {}): Metrics {
  const set = new MetricSet(options);
  const relays = sources.relays ?? [];
  const { broker } = sources;
  const groups = broker === undefined ? [] : (sources.groups ?? []);
  const unsubscribe: (() => void)[] = [];

  if (relays.length > 0) {
    set.gauge(
      'relay_running',
      '1 while a relay of this process holds its lease and publishes, else 0.',
      ['relay'],
      (g) => {
        // Two relays of one name in a process: one runs, the other waits for the lease.
        const running = new Map<string, number>();
        for (const relay of relays) {
          const value = relay.status().state === 'running' ? 1 : 0;
          running.set(relay.name, Math.max(value, running.get(relay.name) ?? 0));
        }
        g.reset();
        for (const [relay, value] of running) g.set({ relay }, value);
      },
    );
    const published = set.counter(
      'relay_published_events_total',
      'Events the broker confirmed and the relay committed.',
      ['relay'],
    );
    const retries = set.counter(
      'relay_retries_total',
      'Publishes and storage calls the relay retried after a retriable error.',
      ['relay'],
    );
    const leasesLost = set.counter(
      'relay_leases_lost_total',
      'Times a relay of this process found its lease taken over (its commit or renewal refused) and stopped publishing.',
      ['relay'],
    );
    for (const relay of relays) {
      const labels = { relay: relay.name };
      published.inc(labels, 0);
      retries.inc(labels, 0);
      leasesLost.inc(labels, 0);
      unsubscribe.push(
        relay.on('relay.committed', (e) => published.inc({ relay: e.name }, e.count)),
        relay.on('relay.retry', (e) => retries.inc({ relay: e.name })),
        relay.on('relay.lease-lost', (e) => leasesLost.inc({ relay: e.name })),
      );
    }
  }

  if (broker !== undefined) {
    const name = broker.name;
    const readLag = sharedRead(() =>
      Promise.all(
        groups.map(async (group) => {
          try {
            return { group, lag: (await broker.lag(group)).lag };
          } catch (error) {
            lagErrors.inc({ broker: name, group });
            options.onError?.(error);
            return { group, lag: undefined };
          }
        }),
      ),
    );
    // Collected after the scrape's read, so a failure shows in the scrape it happened in.
    const lagErrors = set.counter(
      'consumer_lag_errors_total',
      "Scrapes in which reading a group's lag from the broker failed; its lag is left out of those.",
      ['broker', 'group'],
      async () => {
        await readLag();
      },
    );
    set.gauge(
      'consumer_lag_messages',
      'Messages of the consumer group not yet acknowledged (summed over partitions).',
      ['broker', 'group'],
      async (g) => {
        const lags = await readLag();
        g.reset();
        for (const { group, lag } of lags) if (lag !== undefined) g.set({ broker: name, group }, lag);
      },
    );
    const retries = set.counter('consumer_retries_total', 'Handler failures retried in process.', [
      'broker',
      'group',
    ]);
    const deadLettered = set.counter(
      'consumer_dead_lettered_total',
      'Messages moved to the dead-letter destination, by reason.',
      ['broker', 'group', 'reason'],
    );
    const disconnects = set.counter('broker_disconnects_total', 'Connections to the broker lost.', [
      'broker',
    ]);
    disconnects.inc({ broker: name }, 0);
    for (const group of groups) {
      lagErrors.inc({ broker: name, group }, 0);
      retries.inc({ broker: name, group }, 0);
      for (const reason of DEAD_LETTER_REASONS) deadLettered.inc({ broker: name, group, reason }, 0);
    }
    unsubscribe.push(
      broker.on('consumer.retry', (e) => retries.inc({ broker: name, group: e.group })),
      broker.on('consumer.dead-lettered', (e) =>
        deadLettered.inc({ broker: name, group: e.group, reason: e.reason }),
      ),
      broker.on('broker.disconnected', () => disconnects.inc({ broker: name })),
    );
  }

  return {
    registry: set.registry,
    close() {
      for (const off of unsubscribe.splice(0)) off();
      set.remove();
    },
  };
}
