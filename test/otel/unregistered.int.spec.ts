import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { StoredEvent } from 'factum';
import { createSqliteBroker, eventLogSource, startRelay } from 'factum/messaging';
import { registerTracing } from 'factum/otel';
import { createSqliteStore } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

// An application with the OpenTelemetry SDK set up, but Factum's tracing not registered.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
context.setGlobalContextManager(new AsyncHooksContextManager().enable());
trace.setGlobalTracerProvider(provider);
afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
});

async function appendRelayConsume(file: string): Promise<{ stored: StoredEvent; got: StoredEvent }> {
  const store = createSqliteStore(file);
  const broker = createSqliteBroker({ store, namespace: 'ns' });
  try {
    const got: StoredEvent[] = [];
    const consumer = await broker.consume({ group: 'g' }, (event) => {
      got.push(event);
    });
    await provider.getTracer('app').startActiveSpan('POST /orders', async (span) => {
      await store.append('order-1', [{ type: 'OrderPlaced', data: {}, metadata: { correlationId: 'c-1' } }]);
      span.end();
    });
    const relay = startRelay({ source: eventLogSource(store), broker });
    await waitFor('the event is consumed', () => got.length === 1, 10_000);
    await relay.stop();
    await consumer.stop();
    return { stored: (await store.readStream('order-1')).events[0]!, got: got[0]! };
  } finally {
    await broker.close();
    await store.close();
  }
}

describe('with no tracer registered', () => {
  const dir = tempDir('factum-otel-off-');

  it('stores no trace context, carries none and makes no spans, though a span is active', async () => {
    const { stored, got } = await appendRelayConsume(join(dir, 'off.db'));
    expect(stored.metadata).toEqual({ correlationId: 'c-1' });
    expect(got.metadata).toEqual({ correlationId: 'c-1' });
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['POST /orders']);
  });

  it('stops tracing again when the function registerTracing returned is called', async () => {
    exporter.reset();
    const first = registerTracing();
    const second = registerTracing();
    // An earlier registration's stop leaves a later one in place.
    first();
    const traced = await appendRelayConsume(join(dir, 'second.db'));
    expect(traced.stored.metadata.traceparent).toBeDefined();
    second();
    exporter.reset();
    const { stored } = await appendRelayConsume(join(dir, 'stopped.db'));
    expect(stored.metadata).toEqual({ correlationId: 'c-1' });
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['POST /orders']);
  });
});
