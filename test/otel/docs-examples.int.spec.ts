import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createMemoryStore } from 'factum';
import { registerTracing } from 'factum/otel';
import { afterAll, describe, expect, it } from 'vitest';

/** A stand-in OTLP/HTTP collector: records the path and size of each export request. */
const received: Array<{ url: string | undefined; bytes: number }> = [];
const collector = createServer((req: IncomingMessage, res) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    received.push({ url: req.url, bytes });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const { port } = collector.address() as AddressInfo;
afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

describe('docs/observability.md: tracing', () => {
  it('wires Factum to an OTLP exporter', async () => {
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `http://127.0.0.1:${port}/v1/traces`;
    // #region otlp-wiring
    const provider = new NodeTracerProvider({
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
    });
    // The global tracer provider, the W3C trace-context propagator and the async context manager.
    provider.register();
    // From now on appends store the active trace context and messaging makes send/process spans.
    const stopTracing = registerTracing();
    // #endregion otlp-wiring
    try {
      const store = createMemoryStore();
      const tracer = trace.getTracer('orders-service');
      const span = await tracer.startActiveSpan('POST /orders', async (s) => {
        await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
        s.end();
        return s;
      });
      const [event] = (await store.readStream('order-1')).events;
      // The event's creation context: the append's span, in the request's trace.
      expect(event!.metadata.traceparent).toMatch(
        new RegExp(`^00-${span.spanContext().traceId}-[0-9a-f]{16}-01$`),
      );
      await provider.forceFlush();
      expect(received.some((r) => r.url === '/v1/traces' && r.bytes > 0)).toBe(true);
    } finally {
      stopTracing();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    }
  });
});
