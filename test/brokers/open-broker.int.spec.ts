import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBroker } from '../../src/brokers/open-broker.js';
import { createMemoryStore } from '../../src/stores/memory/memory-store.js';
import { destroyNamespace } from '../support/brokers.js';

const dir = mkdtempSync(join(tmpdir(), 'factum-open-broker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The same round trip through the broker each URL opens: published events reach a consumer group.
const urls = [`sqlite:${join(dir, 'bus.db')}`, 'amqp://guest:guest@127.0.0.1:5672'];

describe.each(urls)('openBroker(%s)', (url) => {
  it('opens that broker: a group declared first receives what is published', async () => {
    const name = `open_${Date.now().toString(36)}`;
    const broker = await openBroker(url, { name });
    try {
      expect(broker.name).toBe(url.startsWith('sqlite:') ? 'sqlite' : 'rabbitmq');
      await broker.declareGroup({ group: 'g' });
      const store = createMemoryStore();
      await store.append('order-1', [
        { type: 'OrderPlaced', data: { n: 1 } },
        { type: 'OrderShipped', data: { n: 2 } },
      ]);
      const { events } = await store.readStream('order-1');
      const seen: string[] = [];
      let done: () => void = () => {};
      const all = new Promise<void>((resolve) => {
        done = resolve;
      });
      const consumer = await broker.consume({ group: 'g' }, (event) => {
        seen.push(event.id);
        if (seen.length === events.length) done();
      });
      await broker.publish(events);
      await all;
      await consumer.stop();
      expect(seen).toEqual(events.map((e) => e.id));
    } finally {
      await broker.close();
      // The exchange, the group's queue and its dead-letter queue go too.
      if (url.startsWith('amqp:')) await destroyNamespace('rabbitmq', name, ['g']);
    }
  });
});
