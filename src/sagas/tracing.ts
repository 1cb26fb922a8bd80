/**
 * The span of one saga input: `saga <name>` around reading the instance, deciding and appending (the
 * saga's events and the commands it sends are created in it). For an event, the event's creation
 * context is the parent when no span is active (the saga's own runner follows the log), and a link;
 * inside a consumer's `process` span that span stays the parent. Built only when a tracer is
 * registered.
 */

import type { StoredEvent } from '../core/envelope.js';
import {
  creationContext,
  type SpanAttributeValue,
  type SpanRequest,
  type TracingHook,
} from '../core/tracing.js';
import type { SagaInput } from './engine.js';

export function sagaSpan(
  hook: TracingHook,
  name: string,
  correlationId: string,
  input: SagaInput,
): SpanRequest {
  const attributes: Record<string, SpanAttributeValue> = {
    'factum.saga.name': name,
    'factum.saga.input': input.kind,
    'messaging.message.conversation_id': correlationId,
  };
  if (input.kind === 'timeout' && input.scheduledIn !== undefined) {
    // A timeout fires long after its scheduling: a link to it, not a child of it.
    return { name: `saga ${name}`, kind: 'internal', attributes, links: [input.scheduledIn] };
  }
  if (input.kind !== 'event') return { name: `saga ${name}`, kind: 'internal', attributes };
  attributes['factum.event.id'] = input.event.id;
  attributes['factum.event.type'] = input.event.type;
  const context = creationContext(input.event.metadata);
  if (context === undefined) return { name: `saga ${name}`, kind: 'internal', attributes };
  return {
    name: `saga ${name}`,
    kind: 'internal',
    attributes,
    parent: hook.activeContext() === undefined ? context : undefined,
    links: [context],
  };
}

/**
 * The span of a reactor handling one event: `react <name>`, around the handler and the appends it
 * asked for. Its parent and link are the event's creation context, as for a saga's event.
 */
export function reactorSpan(
  hook: TracingHook,
  name: string,
  event: StoredEvent,
  correlationId: string,
): SpanRequest {
  const attributes: Record<string, SpanAttributeValue> = {
    'factum.reactor.name': name,
    'factum.event.id': event.id,
    'factum.event.type': event.type,
    'messaging.message.conversation_id': correlationId,
  };
  const context = creationContext(event.metadata);
  if (context === undefined) return { name: `react ${name}`, kind: 'internal', attributes };
  return {
    name: `react ${name}`,
    kind: 'internal',
    attributes,
    parent: hook.activeContext() === undefined ? context : undefined,
    links: [context],
  };
}
