/**
 * One business flow by correlation id: every event that carries it, and the events that started it
 * (named as causes), in log order; for each event whether each relay has published it; the projection
 * dead letters of those events; the saga instances they belong to. What `GET /correlations/{id}` and
 * `factum trace` show.
 */
import type { StoredEvent } from '../core/envelope.js';
import { ErrorCodes, isFactumError } from '../core/errors.js';
import type { EventStore } from '../core/store.js';
import { followStorageOf, loadCheckpoint } from '../follow/index.js';
import { relayCheckpoint } from '../messaging/index.js';
import {
  type DeadLetter,
  listDeadLetters,
  type ProjectionStorage,
  projectionStorageFor,
} from '../projections/index.js';
import type { CorrelationQuery } from './browse/index.js';
import { storeBrowser } from './browse/index.js';

export interface FlowSources {
  store: EventStore;
  /** Names of the relays whose checkpoints say what was published. */
  relays: readonly string[];
  /** Where dead letters are (none: a bare memory store). */
  projections: ProjectionStorage | undefined;
}

export interface FlowEvent {
  event: StoredEvent;
  published: { relay: string; published: boolean }[];
}

export interface Flow {
  correlationId: string;
  events: FlowEvent[];
  deadLetters: DeadLetter[];
  sagas: { saga: string; streamId: string; steps: string[] }[];
  /** The `after` of the next page of the flow's own events; undefined when none were read. */
  next: bigint | undefined;
}

/** How many causes outside the flow are looked up per page. */
const MAX_TRIGGERS = 50;

/** The projection storage of a store (SQLite, PostgreSQL); undefined for a bare memory store. */
export function projectionStorageOrNone(store: EventStore): ProjectionStorage | undefined {
  try {
    return projectionStorageFor(store);
  } catch (error) {
    if (isFactumError(error, ErrorCodes.NOT_SUPPORTED)) return undefined;
    throw error;
  }
}

export async function readFlow(
  sources: FlowSources,
  id: string,
  query: CorrelationQuery = {},
): Promise<Flow> {
  const own = await storeBrowser(sources.store).readCorrelation(id, query);
  const events = await withTriggers(sources.store, own);
  const follow = followStorageOf(sources.store);
  const relays = await Promise.all(
    sources.relays.map(async (name) => ({
      name,
      checkpoint: await loadCheckpoint(follow, relayCheckpoint(name)),
    })),
  );
  const ids = new Set(events.map((e) => e.id));
  const deadLetters: DeadLetter[] = [];
  for (let afterId: number | undefined; sources.projections !== undefined; ) {
    const page = await listDeadLetters(sources.projections, { limit: 500, afterId });
    for (const d of page) if (ids.has(d.event.id)) deadLetters.push(d);
    if (page.length < 500) break;
    afterId = page.at(-1)?.id;
  }
  const sagas = new Map<string, { saga: string; streamId: string; steps: string[] }>();
  for (const e of events) {
    if (!e.category.startsWith('saga_')) continue;
    const entry = sagas.get(e.streamId) ?? {
      saga: e.category.slice('saga_'.length),
      streamId: e.streamId,
      steps: [],
    };
    entry.steps.push(e.type);
    sagas.set(e.streamId, entry);
  }
  return {
    correlationId: id,
    events: events.map((event) => ({
      event,
      published: relays.map((r) => ({ relay: r.name, published: event.position <= r.checkpoint })),
    })),
    deadLetters,
    sagas: [...sagas.values()],
    next: own.at(-1)?.position,
  };
}

/** The events a flow's events name as causes without carrying its correlation id (an OrderPlaced a saga reacted to). */
async function withTriggers(store: EventStore, events: StoredEvent[]): Promise<StoredEvent[]> {
  const ids = new Set(events.map((e) => e.id));
  const causes = new Set<string>();
  for (const e of events) {
    const cause = e.metadata.causationId;
    if (cause !== undefined && !ids.has(cause)) causes.add(cause);
  }
  const found: StoredEvent[] = [];
  for (const cause of [...causes].slice(0, MAX_TRIGGERS)) {
    const event = await storeBrowser(store).readEvent(cause);
    if (event !== undefined) found.push(event);
  }
  if (found.length === 0) return events;
  return [...events, ...found].sort((a, b) =>
    a.position < b.position ? -1 : a.position > b.position ? 1 : 0,
  );
}
