import type { StoredEvent } from '../src/core/envelope.js';
import { newEventId } from '../src/core/ids.js';
import type { Broker } from '../src/messaging/broker.js';
import { benchPayload } from './support.js';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes of one machine. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The i-th benchmark event (100 streams), stamped with its publish time in `metadata.sentAt`. */
export function benchEvent(i: number): StoredEvent {
  const { data, metadata } = benchPayload(i);
  const streamId = `order-${i % 100}`;
  return {
    id: newEventId(),
    type: 'OrderPlaced',
    streamId,
    category: 'order',
    version: Math.floor(i / 100) + 1,
    position: BigInt(i + 1),
    schemaVersion: 1,
    timestamp: new Date(),
    data,
    metadata: { ...metadata, sentAt: wallMs() },
  };
}

/** Publishes `count` events in batches of `batch`, each publish awaiting its commit. */
export async function publishAll(broker: Broker, count: number, batch: number): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    const events: StoredEvent[] = [];
    for (let j = i; j < Math.min(count, i + batch); j++) events.push(benchEvent(j));
    await broker.publish(events);
  }
}

/** Publishes one event at a time at `rate` per second for `seconds`; resolves with the count sent. */
export async function publishSteadily(
  broker: Broker,
  rate: number,
  seconds: number,
  offset: number,
): Promise<number> {
  const total = rate * seconds;
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (sent < due) await broker.publish([benchEvent(offset + sent++)]);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return sent;
}
