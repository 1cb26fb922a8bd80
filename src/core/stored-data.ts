/**
 * Events whose data JSON is known as the store holds it, for the relay: the broker's body is that
 * text, not `JSON.stringify(JSON.parse(text))`. A store that offers it builds such events with
 * `eventWithStoredData` and registers an internal view of readAll and subscribe returning them
 * (`offerRawDataReads`); the event-log relay's source reads through it. Nothing else reads that
 * way, so projections, sagas and callers of readAll keep getting plain events.
 *
 * The text is the event's own (its data getter hands it to storedDataJson), and its data cannot be
 * assigned nor changed in place (a getter without setter, the parsed data frozen): a copy
 * (`{ ...event }`, `{ ...event, data }`, an upcast event) holds plain data and has no text, so its
 * data is encoded as it is.
 */
import type { EventMetadata, StoredEvent } from './envelope.js';
import type { EventStore } from './store.js';

/** What a lazy event's getter returns while storedDataJson asks it; never seen anywhere else. */
const TEXT_HANDED = Object.freeze({});
/** The event storedDataJson is reading `data` of; only that object's own read gets the text. */
let askedAbout: object | undefined;
let handed: string | undefined;

/**
 * The data JSON the store holds for this event, when reading `event.data` now would give the data
 * parsed from it (an event built by eventWithStoredData, or an object whose `data` is that event's
 * getter called on it: a prototype, a Proxy forwarding its receiver); undefined for any other
 * object (a copy, an event with replaced or upcast data, a wrapper reading another event's data).
 * Asked by reading `event.data` once, so it never says stale text.
 */
export function storedDataJson(event: StoredEvent): string | undefined {
  askedAbout = event;
  handed = undefined;
  let value: unknown;
  try {
    value = event.data;
  } finally {
    askedAbout = undefined;
  }
  const text = handed;
  handed = undefined;
  return value === TEXT_HANDED ? text : undefined;
}

/**
 * A stored event whose data is `dataJson` parsed on first access (once; later reads get the same
 * value). The data is an own enumerable getter without a setter, so a spread copies the parsed
 * data and an assignment to it throws (modules are strict; the type says readonly); the parsed data
 * is frozen (deeply, when first read), so it cannot be changed in place either: the text always
 * says what the data is. A relay that encodes the text never reads the data, so it never parses
 * (nor freezes) it. No registry, no freeze of the event: both cost the relay more per event than
 * the parse they would save (a WeakMap entry an event, mostly in the garbage collector).
 */
export function eventWithStoredData(
  id: string,
  type: string,
  streamId: string,
  category: string,
  version: number,
  position: bigint,
  schemaVersion: number,
  timestamp: Date,
  dataJson: string,
  metadata: EventMetadata,
): StoredEvent {
  let parsed = false;
  let data: unknown;
  return {
    id,
    type,
    streamId,
    category,
    version,
    position,
    schemaVersion,
    timestamp,
    get data(): unknown {
      if (this === askedAbout) {
        askedAbout = undefined;
        handed = dataJson;
        return TEXT_HANDED;
      }
      if (!parsed) {
        data = deepFreeze(JSON.parse(dataJson));
        parsed = true;
      }
      return data;
    },
    metadata,
  };
}

function deepFreeze(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

/** The reads of a store's log whose events carry their stored data JSON (see storedDataJson). */
export type RawDataReads = Pick<EventStore, 'readAll' | 'subscribe'>;

/**
 * Stores (the very objects, not something that forwards to them) and their raw-data reads. Keyed by
 * identity rather than a property, so a wrapper that intercepts readAll or subscribe (a Proxy, an
 * `Object.create(store)`, a decorator) never has its interception bypassed: unless it offers these
 * reads itself (withSchemas does), it is read with its own readAll and subscribe.
 */
const rawReads = new WeakMap<EventStore, RawDataReads>();

/** Called by a store for itself (SQLite, PostgreSQL) or by a wrapper that passes them on (withSchemas). */
export function offerRawDataReads(store: EventStore, reads: RawDataReads): void {
  rawReads.set(store, reads);
}

/** The store's raw-data reads, or undefined when it has none (a memory store, an unknown wrapper). */
export function rawDataReadsOf(store: EventStore): RawDataReads | undefined {
  return rawReads.get(store);
}
