import { PublishNotConfirmedError, type StoredEvent } from 'factum';
import type { Broker, ConsumerLag } from 'factum/messaging';
import { sleep } from './helpers.js';

/**
 * A broker double that records what it was asked to publish, can refuse the first calls and can take
 * `delayMs` to confirm each publish (so concurrent relays interleave).
 */
export function recordingBroker(
  failFirst = 0,
  delayMs = 0,
): Broker & { published: StoredEvent[]; calls: number } {
  const published: StoredEvent[] = [];
  const broker = {
    name: 'recording',
    capabilities: { orderedCompetingConsumers: false },
    published,
    calls: 0,
    async publish(events: readonly StoredEvent[]) {
      broker.calls++;
      if (broker.calls <= failFirst) throw new PublishNotConfirmedError('not confirmed (test)');
      if (delayMs > 0) await sleep(delayMs);
      published.push(...events);
    },
    async declareGroup() {},
    async consume(): Promise<never> {
      throw new Error('not used');
    },
    async lag(group: string): Promise<ConsumerLag> {
      return { group, lag: 0, partitions: [] };
    },
    async deadLetters() {
      return [];
    },
    on: () => () => {},
    async close() {},
  };
  return broker;
}
