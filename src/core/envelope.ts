/** The stored event envelope and the shape callers append. Events are immutable facts, named in the past tense. */

/** Metadata that travels with every event. Free keys are allowed beside the well-known ones. */
export interface EventMetadata {
  /** The whole business flow this event belongs to. */
  correlationId?: string;
  /** The id of the event (or command) that directly caused this one. */
  causationId?: string;
  /** Who caused it: the user or service acting. */
  userId?: string;
  /** W3C trace context of the event's creation (stored on append when a tracer is registered). */
  traceparent?: string;
  /** W3C trace state beside `traceparent`. */
  tracestate?: string;
  [key: string]: unknown;
}

export interface StoredEvent<Type extends string = string, Data = unknown> {
  /** UUIDv7 unless the caller gave one. */
  readonly id: string;
  /** Past tense: 'OrderPlaced'. */
  readonly type: Type;
  /** 'order-42'. */
  readonly streamId: string;
  /** The text before the first '-' of the stream id ('order'), or the whole id when there is none. */
  readonly category: string;
  /** 1-based revision within its stream. */
  readonly version: number;
  /** Global position: strictly increasing in readAll order. Opaque: store it and pass it back as `after`. */
  readonly position: bigint;
  /** Version of this type's schema the data conforms to (1 unless a schema registry says otherwise). */
  readonly schemaVersion: number;
  /** When the store recorded the event. */
  readonly timestamp: Date;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

/** An event to append. `id` defaults to a new UUIDv7; give your own to make a retry idempotent. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  metadata?: EventMetadata;
  id?: string;
  schemaVersion?: number;
}

/** The category of a stream: 'order-42' → 'order'. */
export function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}
