import type { EventMetadata, StoredEvent } from './envelope.js';
import { tracingHook } from './tracing.js';

/**
 * Metadata for an event caused by `cause`: the same correlationId (or the cause's id when the cause
 * started the flow), causationId = the cause's id, and the cause's userId unless `extra` overrides it.
 * The cause's trace context (traceparent, tracestate) is carried over when no tracer is registered;
 * with one, it is left out so that the append stores the active context (the span processing the
 * cause, a descendant of the cause's creation).
 */
export function causedBy(
  cause: Pick<StoredEvent, 'id' | 'metadata'>,
  extra: EventMetadata = {},
): EventMetadata {
  const inherited: EventMetadata = {
    correlationId: cause.metadata.correlationId ?? cause.id,
    causationId: cause.id,
  };
  if (cause.metadata.userId !== undefined) inherited.userId = cause.metadata.userId;
  if (tracingHook === undefined || tracingHook.activeContext() === undefined) {
    if (cause.metadata.traceparent !== undefined) inherited.traceparent = cause.metadata.traceparent;
    if (cause.metadata.tracestate !== undefined) inherited.tracestate = cause.metadata.tracestate;
  }
  return { ...inherited, ...extra, correlationId: inherited.correlationId, causationId: cause.id };
}
