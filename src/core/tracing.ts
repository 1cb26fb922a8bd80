/**
 * The tracing seam. Core and the layers above never import a tracing library: they call the hook
 * below, which is undefined until an implementation is registered (`factum/otel` registers one on
 * top of `@opentelemetry/api`). Every call site is guarded by one `if (tracingHook === undefined)`,
 * so with no tracer registered nothing is allocated and no context is looked up.
 */

/** W3C trace context of one message: the `traceparent` and `tracestate` of its creation. */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string | undefined;
}

export type SpanKind = 'internal' | 'producer' | 'consumer' | 'client';

export type SpanAttributeValue = string | number | boolean;

/** A span Factum starts: its name, kind and attributes, and the message contexts it relates to. */
export interface SpanRequest {
  readonly name: string;
  readonly kind: SpanKind;
  readonly attributes: Readonly<Record<string, SpanAttributeValue>>;
  /**
   * A remote parent carried by a message (a consumer processing one message). Without it, the span's
   * parent is the active context.
   */
  readonly parent?: TraceContext | undefined;
  /** The creation contexts of the messages the span handles. */
  readonly links?: readonly TraceContext[] | undefined;
}

/** The span in progress, as the code it wraps sees it. */
export interface ActiveSpan {
  setAttribute(key: string, value: SpanAttributeValue): void;
  /** Marks the span failed: `error.type` and an error status with `message`. */
  fail(errorType: string, message?: string): void;
}

export interface TracingHook {
  /** The active context as W3C trace context, or undefined when no span is recording or sampled in. */
  activeContext(): TraceContext | undefined;
  /**
   * Runs `fn` in a new span made active for it, and ends the span when `fn` settles. A throw marks the
   * span failed (`error.type` from the error's code or name) and is passed on.
   */
  inSpan<T>(request: SpanRequest, fn: (span: ActiveSpan) => Promise<T>): Promise<T>;
}

/** The registered implementation; undefined (the default) when tracing is off. */
export let tracingHook: TracingHook | undefined;

/** Registers the tracing implementation (`undefined` turns tracing off again). */
export function setTracingHook(hook: TracingHook | undefined): void {
  tracingHook = hook;
}

/** The creation context stored in an event's metadata, when it carries one. */
export function creationContext(metadata: {
  readonly traceparent?: unknown;
  readonly tracestate?: unknown;
}): TraceContext | undefined {
  const { traceparent, tracestate } = metadata;
  if (typeof traceparent !== 'string') return undefined;
  return typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
}

/** The error type of a span: a Factum error's code, else the error's name ('_OTHER' for non-errors). */
export function errorTypeOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return '_OTHER';
}

/**
 * The span of one append: `append <category>`, a client span of the database (`db.system.name`:
 * 'sqlite', 'postgresql'; the memory store's is internal). Appends inside it store its context in
 * each event: the events' creation context.
 */
export function appendSpan(system: string | undefined, streamId: unknown, events: unknown): SpanRequest {
  const attributes: Record<string, SpanAttributeValue> = { 'db.operation.name': 'append' };
  if (system !== undefined) attributes['db.system.name'] = system;
  let name = 'append';
  if (typeof streamId === 'string') {
    attributes['factum.stream.id'] = streamId;
    const dash = streamId.indexOf('-');
    name = `append ${dash === -1 ? streamId : streamId.slice(0, dash)}`;
  }
  if (Array.isArray(events)) attributes['factum.event.count'] = events.length;
  return { name, kind: system === undefined ? 'internal' : 'client', attributes };
}

/** Links beyond this many are left out of a span (the OpenTelemetry SDK keeps 128 by default). */
export const MAX_SPAN_LINKS = 128;

/** The distinct creation contexts of `events`, in order, at most MAX_SPAN_LINKS of them. */
export function creationLinks(
  events: readonly { readonly metadata: { readonly traceparent?: unknown; readonly tracestate?: unknown } }[],
): TraceContext[] {
  const links: TraceContext[] = [];
  let seen: Set<string> | undefined;
  for (const event of events) {
    const context = creationContext(event.metadata);
    if (context === undefined) continue;
    if (links.length === 0) {
      links.push(context);
      continue;
    }
    seen ??= new Set([links[0]!.traceparent]);
    if (seen.has(context.traceparent)) continue;
    seen.add(context.traceparent);
    links.push(context);
    if (links.length === MAX_SPAN_LINKS) break;
  }
  return links;
}

/**
 * The span of a batch of events applied together (a projection's page): linked to each event's
 * creation context, with no parent among them (batch processing).
 */
export function batchSpan(
  name: string,
  attributes: Record<string, SpanAttributeValue>,
  events: readonly { readonly metadata: { readonly traceparent?: unknown; readonly tracestate?: unknown } }[],
): SpanRequest {
  attributes['messaging.batch.message_count'] = events.length;
  return { name, kind: 'consumer', attributes, links: creationLinks(events) };
}
