import type { EventMetadata, StoredEvent } from './envelope.js';

/**
 * Metadata for an event caused by `cause`: the same correlationId (or the cause's id when the cause
 * started the flow), causationId = the cause's id, and the cause's userId unless `extra` overrides it.
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
  if (cause.metadata.traceparent !== undefined) inherited.traceparent = cause.metadata.traceparent;
  return { ...inherited, ...extra, correlationId: inherited.correlationId, causationId: cause.id };
}
