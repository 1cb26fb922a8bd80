import { join } from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { StoredEvent } from 'factum';
import { createSqliteBroker, eventLogSource, startRelay } from 'factum/messaging';
import { registerTracing } from 'factum/otel';
import { createSqliteStore } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

/** A reader the test collects from when it wants. */
class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const reader = new TestReader();
const meterProvider = new MeterProvider({ readers: [reader] });
const tracerProvider = new BasicTracerProvider();
context.setGlobalContextManager(new AsyncHooksContextManager().enable());
const unregister = registerTracing({ tracerProvider, meterProvider });
afterAll(async () => {
  unregister();
  context.disable();
  await meterProvider.shutdown();
});

async function points(name: string): Promise<DataPoint<unknown>[]> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
}

describe('messaging metrics through OpenTelemetry', () => {
  const dir = tempDir('factum-otel-metrics-');

  it('counts sent and consumed messages and the processing time, with the error type of failures', async () => {
    const store = createSqliteStore(join(dir, 'metrics.db'));
    const broker = createSqliteBroker({ store, namespace: 'shop' });
    try {
      const handled: StoredEvent[] = [];
      const dead: string[] = [];
      broker.on('consumer.dead-lettered', (e) => dead.push(e.reason));
      const consumer = await broker.consume({ group: 'billing', maxDeliveries: 1 }, (event) => {
        if (event.type === 'OrderRejected') throw new RangeError('no such order');
        handled.push(event);
      });
      await store.append('order-1', [
        { type: 'OrderPlaced', data: {} },
        { type: 'OrderPlaced', data: {} },
        { type: 'OrderRejected', data: {} },
      ]);
      const relay = startRelay({ source: eventLogSource(store), broker });
      await waitFor('every message is processed', () => handled.length === 2 && dead.length === 1, 10_000);
      await relay.stop();
      await consumer.stop();

      const where = { 'messaging.system': 'sqlite', 'messaging.destination.name': 'shop' };
      const sent = await points('messaging.client.sent.messages');
      expect(sent.map((p) => [p.attributes, p.value])).toEqual([
        [{ ...where, 'messaging.operation.name': 'send' }, 3],
      ]);
      const processed = {
        ...where,
        'messaging.operation.name': 'process',
        'messaging.consumer.group.name': 'billing',
      };
      const consumed = await points('messaging.client.consumed.messages');
      expect(consumed.map((p) => [p.attributes, p.value])).toEqual([
        [processed, 2],
        [{ ...processed, 'error.type': 'RangeError' }, 1],
      ]);
      const durations = await points('messaging.process.duration');
      expect(durations.map((p) => (p.value as Histogram).count)).toEqual([2, 1]);
      expect((durations[0]!.value as Histogram).sum).toBeGreaterThan(0);
    } finally {
      await broker.close();
      await store.close();
    }
  });
});
