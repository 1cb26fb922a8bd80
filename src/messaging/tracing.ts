/**
 * The spans of messaging, by the OpenTelemetry messaging semantic conventions: `send <destination>`
 * (PRODUCER) around each relay publish, `process <destination>` (CONSUMER) around each delivery.
 * Built only when a tracer is registered (callers check `tracingHook` first).
 */
import type { StoredEvent } from '../core/envelope.js';
import {
  creationContext,
  creationLinks,
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
  const links = creationLinks(events);
  let destination: string | undefined;
  let routingKey: string | undefined;
  let correlationId: unknown = events[0]?.metadata.correlationId;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (broker.destinationOf !== undefined && (i === 0 || destination !== undefined)) {
      const to = broker.destinationOf(event);
      destination = i === 0 || to === destination ? to : undefined;
    }
    if (broker.routingKeyOf !== undefined && (i === 0 || routingKey !== undefined)) {
      const key = broker.routingKeyOf(event);
      routingKey = i === 0 || key === routingKey ? key : undefined;
    }
    if (event.metadata.correlationId !== correlationId) correlationId = undefined;
  }
  const attributes: Record<string, SpanAttributeValue> = {
    'messaging.system': messagingSystem(broker.name),
    'messaging.operation.name': 'send',
    'messaging.operation.type': 'send',
  };
  if (destination !== undefined) attributes['messaging.destination.name'] = destination;
  if (events.length === 1) {
    attributes['messaging.message.id'] = events[0]!.id;
    if (broker.name === 'kafka') attributes['messaging.kafka.message.key'] = events[0]!.streamId;
  } else attributes['messaging.batch.message_count'] = events.length;
  // Per-message keys name a batch only when every message shares them.
  if (routingKey !== undefined) attributes['messaging.rabbitmq.destination.routing_key'] = routingKey;
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
  where: { readonly destination?: string | undefined; readonly routingKey?: string | undefined },
): SpanRequest {
  const { destination } = where;
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
  if (system === 'kafka') attributes['messaging.kafka.message.key'] = event.streamId;
  if (where.routingKey !== undefined)
    attributes['messaging.rabbitmq.destination.routing_key'] = where.routingKey;
  const context = creationContext(event.metadata);
  return {
    name: destination === undefined ? 'process' : `process ${destination}`,
    kind: 'consumer',
    attributes,
    parent: context,
    links: context === undefined ? [] : [context],
  };
}
