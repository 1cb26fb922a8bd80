/**
 * The spans of messaging, by the OpenTelemetry messaging semantic conventions: `send <destination>`
 * (PRODUCER) around each relay publish, `process <destination>` (CONSUMER) around each delivery.
 * Built only when a tracer is registered (callers check `tracingHook` first).
 */
import type { StoredEvent } from '../core/envelope.js';
import {
  creationContext,
  type SpanAttributeValue,
  type SpanRequest,
  type TraceContext,
} from '../core/tracing.js';
import type { Broker } from './broker.js';

/** `messaging.system` of a broker: the convention's well-known value where there is one. */
export function messagingSystem(brokerName: string): string {
  return brokerName === 'sqs' ? 'aws_sqs' : brokerName;
}

/**
 * The `send` span of one publish. Linked to the creation context of every event; when they all share
 * one creation context (a page of one command's events), that context is also the parent, so the
 * publish joins the command's trace.
 */
export function sendSpan(broker: Broker, events: readonly StoredEvent[]): SpanRequest {
  const links: TraceContext[] = [];
  const seen = new Set<string>();
  let destination: string | undefined;
  let sameDestination = true;
  let correlationId: unknown = events[0]?.metadata.correlationId;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const context = creationContext(event.metadata);
    if (context !== undefined && !seen.has(context.traceparent)) {
      seen.add(context.traceparent);
      links.push(context);
    }
    if (broker.destinationOf !== undefined && sameDestination) {
      const to = broker.destinationOf(event);
      if (i === 0) destination = to;
      else if (to !== destination) sameDestination = false;
    }
    if (event.metadata.correlationId !== correlationId) correlationId = undefined;
  }
  if (!sameDestination) destination = undefined;
  const attributes: Record<string, SpanAttributeValue> = {
    'messaging.system': messagingSystem(broker.name),
    'messaging.operation.name': 'send',
    'messaging.operation.type': 'send',
  };
  if (destination !== undefined) attributes['messaging.destination.name'] = destination;
  if (events.length === 1) attributes['messaging.message.id'] = events[0]!.id;
  else attributes['messaging.batch.message_count'] = events.length;
  if (typeof correlationId === 'string') attributes['messaging.message.conversation_id'] = correlationId;
  const parent = links.length === 1 && everyCarries(events, links[0]!) ? links[0] : undefined;
  return {
    name: destination === undefined ? 'send' : `send ${destination}`,
    kind: 'producer',
    attributes,
    parent,
    links,
  };
}

function everyCarries(events: readonly StoredEvent[], context: TraceContext): boolean {
  for (const event of events) if (event.metadata.traceparent !== context.traceparent) return false;
  return true;
}

/**
 * The `process` span of one delivered message. Single-message processing: the message's creation
 * context is its parent, and a link too.
 */
export function processSpan(
  event: StoredEvent,
  system: string,
  group: string,
  destination: string | undefined,
): SpanRequest {
  const attributes: Record<string, SpanAttributeValue> = {
    'messaging.system': system,
    'messaging.operation.name': 'process',
    'messaging.operation.type': 'process',
    'messaging.consumer.group.name': group,
    'messaging.message.id': event.id,
  };
  if (destination !== undefined) attributes['messaging.destination.name'] = destination;
  const { correlationId } = event.metadata;
  if (typeof correlationId === 'string') attributes['messaging.message.conversation_id'] = correlationId;
  const context = creationContext(event.metadata);
  return {
    name: destination === undefined ? 'process' : `process ${destination}`,
    kind: 'consumer',
    attributes,
    parent: context,
    links: context === undefined ? [] : [context],
  };
}
