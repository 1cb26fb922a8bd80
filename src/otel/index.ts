/**
 * factum/otel: OpenTelemetry tracing for Factum. `registerTracing()` plugs `@opentelemetry/api` into
 * core's tracing seam: appends store the active trace context in each event's metadata, the relay
 * makes `send` spans and consumers `process` spans, by the messaging semantic conventions. Until it
 * is called, Factum never loads `@opentelemetry/api`.
 */
import {
  type Context,
  context,
  createTraceState,
  isSpanContextValid,
  type Link,
  type MeterProvider,
  metrics,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import {
  type ActiveSpan,
  errorTypeOf,
  type SpanAttributeValue,
  type SpanRequest,
  setTracingHook,
  type TraceContext,
  type TracingHook,
  tracingHook,
} from '../core/tracing.js';
import { type MessagingMetrics, messagingMetrics } from './metrics.js';

export type { TraceContext } from '../core/tracing.js';

export interface TracingOptions {
  /** Where spans go (default: the global tracer provider, as set by the OpenTelemetry SDK). */
  tracerProvider?: TracerProvider;
  /**
   * Where the messaging metrics go (default: the global meter provider, as set by the OpenTelemetry
   * SDK; without one they cost nothing). `false`: no metrics.
   */
  meterProvider?: MeterProvider | false;
}

const INSTRUMENTATION_NAME = 'factum';

/**
 * Turns tracing on through OpenTelemetry (replacing an earlier registration); returns the function
 * that turns it off again.
 */
export function registerTracing(options: TracingOptions = {}): () => void {
  const tracer = (options.tracerProvider ?? trace).getTracer(INSTRUMENTATION_NAME);
  const meters = options.meterProvider === false ? undefined : (options.meterProvider ?? metrics);
  const measure = meters === undefined ? undefined : messagingMetrics(meters.getMeter(INSTRUMENTATION_NAME));
  const hook = openTelemetryHook(tracer, measure);
  setTracingHook(hook);
  // Turns off this registration only: a later registerTracing() stays in place.
  return () => {
    if (tracingHook === hook) setTracingHook(undefined);
  };
}

const KINDS = {
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  client: SpanKind.CLIENT,
} as const;

function openTelemetryHook(tracer: Tracer, measure: MessagingMetrics | undefined): TracingHook {
  return {
    activeContext(): TraceContext | undefined {
      const span = trace.getSpan(context.active());
      if (span === undefined) return undefined;
      return toTraceContext(span.spanContext());
    },
    inSpan<T>(request: SpanRequest, fn: (span: ActiveSpan) => Promise<T>): Promise<T> {
      const links: Link[] = [];
      for (const link of request.links ?? []) {
        const linked = toSpanContext(link);
        if (linked !== undefined) links.push({ context: linked });
      }
      const parent = parentContext(request.parent);
      return tracer.startActiveSpan(
        request.name,
        { kind: KINDS[request.kind], attributes: request.attributes, links },
        parent,
        async (span) => {
          const started = performance.now();
          const active = activeSpan(span);
          try {
            return await fn(active);
          } catch (error) {
            active.fail(errorTypeOf(error), error instanceof Error ? error.message : String(error));
            if (error instanceof Error) span.recordException(error);
            throw error;
          } finally {
            span.end();
            measure?.record(request, (performance.now() - started) / 1000, active.errorType);
          }
        },
      );
    },
  };
}

function parentContext(parent: TraceContext | undefined): Context {
  const active = context.active();
  if (parent === undefined) return active;
  const remote = toSpanContext(parent);
  return remote === undefined ? active : trace.setSpanContext(active, remote);
}

/** The span as the wrapped code sees it; remembers the error type for the metrics. */
function activeSpan(span: Span): ActiveSpan & { errorType: string | undefined } {
  const active = {
    errorType: undefined as string | undefined,
    setAttribute: (key: string, value: SpanAttributeValue) => {
      span.setAttribute(key, value);
    },
    fail: (errorType: string, message?: string) => {
      active.errorType = errorType;
      fail(span, errorType, message);
    },
  };
  return active;
}

function fail(span: Span, errorType: string, message: string | undefined): void {
  span.setAttribute('error.type', errorType);
  span.setStatus(
    message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message },
  );
}

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(?:-.*)?$/;

/** A W3C traceparent (and tracestate) as a remote span context; undefined when it is not valid. */
export function toSpanContext(carrier: TraceContext): SpanContext | undefined {
  const match = TRACEPARENT.exec(carrier.traceparent.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  // Version ff is invalid; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && carrier.traceparent.trim().length !== 55)) return undefined;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & 0xff,
    isRemote: true,
  };
  if (carrier.tracestate !== undefined && carrier.tracestate.length > 0) {
    spanContext.traceState = createTraceState(carrier.tracestate);
  }
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** A span context as W3C traceparent and tracestate; undefined when it is not valid. */
export function toTraceContext(spanContext: SpanContext): TraceContext | undefined {
  if (!isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  const tracestate = spanContext.traceState?.serialize();
  return tracestate === undefined || tracestate.length === 0 ? { traceparent } : { traceparent, tracestate };
}
