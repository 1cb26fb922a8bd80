/** Streams, events, the global log and its live tail, and one business flow by correlation id. */
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { StoredEvent } from '../core/envelope.js';
import { ErrorCodes, isFactumError, NotFoundError } from '../core/errors.js';
import { followStorageOf, loadCheckpoint } from '../follow/index.js';
import { relayCheckpoint } from '../messaging/index.js';
import { listDeadLetters, type ProjectionStorage, projectionStorageFor } from '../projections/index.js';
import { storeBrowser } from './browse/index.js';
import { dataJson, type Env, need, type ServerDeps } from './context.js';
import { eventJson, plain } from './json.js';
import { intParam, listParam, oneOf, positionParam } from './params.js';

const KEEPALIVE_MS = 15_000;

export function logRoutes(api: Hono<Env>, deps: ServerDeps): void {
  const { store } = deps;
  const browser = storeBrowser(store);

  api.get('/streams', async (c) => {
    need(c, 'reader');
    const q = c.req.query();
    const page = await browser.listStreams({
      prefix: q.prefix,
      category: q.category,
      after: q.after,
      limit: intParam(q.limit, 'limit'),
    });
    return dataJson(c, { streams: plain(page.streams), next: page.next ?? null });
  });

  api.get('/streams/:streamId/events', async (c) => {
    need(c, 'reader');
    const q = c.req.query();
    const streamId = c.req.param('streamId');
    const direction = oneOf(q.direction, ['forward', 'backward'] as const, 'direction') ?? 'forward';
    const limit = intParam(q.limit, 'limit') ?? 100;
    const read = await store.readStream(streamId, {
      direction,
      fromVersion: intParam(q.from, 'from'),
      limit: Math.min(limit, 1_000),
    });
    const last = read.events.at(-1)?.version;
    const next =
      last === undefined
        ? null
        : direction === 'forward'
          ? last < read.version
            ? last + 1
            : null
          : last > 1
            ? last - 1
            : null;
    return dataJson(c, {
      streamId,
      version: read.version,
      exists: read.exists,
      events: read.events.map(eventJson),
      next,
    });
  });

  api.get('/events/:id', async (c) => {
    need(c, 'reader');
    const id = c.req.param('id');
    const event = await browser.readEvent(id);
    if (event === undefined) throw new NotFoundError(`event ${id}`);
    return dataJson(c, { event: eventJson(event) });
  });

  api.get('/log', async (c) => {
    need(c, 'reader');
    const q = c.req.query();
    const page = await store.readAll({
      after: positionParam(q.after, 'after'),
      limit: Math.min(intParam(q.limit, 'limit') ?? 100, 1_000),
      types: listParam(q.types),
      categories: listParam(q.categories),
    });
    return dataJson(c, { events: page.events.map(eventJson), next: page.last.toString() });
  });

  api.get('/log/live', async (c) => {
    need(c, 'reader');
    const q = c.req.query();
    // Resume after the last event the client saw (EventSource sends it back as Last-Event-ID).
    const resume =
      positionParam(c.req.header('last-event-id'), 'Last-Event-ID') ?? positionParam(q.after, 'after');
    const after = resume ?? (await headOf(deps));
    const types = listParam(q.types);
    const categories = listParam(q.categories);
    const filter = (e: StoredEvent) =>
      (types === undefined || types.includes(e.type)) &&
      (categories === undefined || categories.includes(e.category));
    c.header('Cache-Control', 'no-store');
    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      stream.onAbort(() => abort.abort());
      const keepalive = setInterval(() => {
        void stream.write(': keepalive\n\n').catch(() => abort.abort());
      }, KEEPALIVE_MS);
      try {
        await stream.writeSSE({ event: 'ready', data: JSON.stringify({ after: after.toString() }) });
        await deps.live.follow(
          after,
          {
            send: async (e) => {
              await stream.writeSSE({
                id: e.position.toString(),
                event: 'event',
                data: JSON.stringify(eventJson(e)),
              });
            },
            drop: (reason) => {
              void stream
                .writeSSE({ event: 'dropped', data: JSON.stringify({ reason }) })
                .finally(() => abort.abort());
            },
          },
          abort.signal,
          filter,
        );
      } finally {
        clearInterval(keepalive);
      }
    });
  });

  api.get('/correlations/:id', async (c) => {
    need(c, 'reader');
    const id = c.req.param('id');
    const events = await browser.readCorrelation(id, {
      after: positionParam(c.req.query('after'), 'after'),
      limit: intParam(c.req.query('limit'), 'limit'),
    });
    return dataJson(c, await correlationFlow(deps, id, events));
  });
}

/** The head of the log: where a live tail without a position starts. */
async function headOf(deps: ServerDeps): Promise<bigint> {
  const storage = projectionStorageOrNone(deps);
  if (storage !== undefined) return storage.head();
  let head = 0n;
  for (;;) {
    const page = await deps.store.readAll({ after: head, limit: 5_000 });
    if (page.events.length === 0) return head;
    head = page.last;
  }
}

/** The projection storage of the store (SQLite, PostgreSQL, or the runtime's); undefined for a bare memory store. */
export function projectionStorageOrNone(deps: ServerDeps): ProjectionStorage | undefined {
  if (deps.projections !== undefined) return deps.projections.storage;
  try {
    return projectionStorageFor(deps.store);
  } catch (error) {
    if (isFactumError(error, ErrorCodes.NOT_SUPPORTED)) return undefined;
    throw error;
  }
}

/**
 * The events that started a flow without carrying its correlation id themselves (an OrderPlaced the
 * saga's events name as their cause), added in log order; at most 50 are looked up.
 */
async function withTriggers(deps: ServerDeps, events: StoredEvent[]): Promise<StoredEvent[]> {
  const ids = new Set(events.map((e) => e.id));
  const causes = new Set<string>();
  for (const e of events) {
    const cause = e.metadata.causationId;
    if (cause !== undefined && !ids.has(cause)) causes.add(cause);
  }
  const found: StoredEvent[] = [];
  for (const cause of [...causes].slice(0, 50)) {
    const event = await storeBrowser(deps.store).readEvent(cause);
    if (event !== undefined) found.push(event);
  }
  if (found.length === 0) return events;
  return [...events, ...found].sort((a, b) =>
    a.position < b.position ? -1 : a.position > b.position ? 1 : 0,
  );
}

/**
 * One business flow: its events in log order, each with whether each relay has published it; the
 * projection dead letters of those events; the saga instances they belong to.
 */
async function correlationFlow(deps: ServerDeps, id: string, flowEvents: StoredEvent[]) {
  const events = await withTriggers(deps, flowEvents);
  const storage = followStorageOf(deps.store);
  const relays = await Promise.all(
    deps.relays.map(async (r) => {
      const name = typeof r === 'string' ? r : r.name;
      return { name, checkpoint: await loadCheckpoint(storage, relayCheckpoint(name)) };
    }),
  );
  const ids = new Set(events.map((e) => e.id));
  const deadLetters = [];
  const projections = projectionStorageOrNone(deps);
  for (let afterId: number | undefined; projections !== undefined; ) {
    const page = await listDeadLetters(projections, { limit: 500, afterId });
    for (const d of page) if (ids.has(d.event.id)) deadLetters.push(d);
    if (page.length < 500) break;
    afterId = page.at(-1)?.id;
  }
  const sagas = new Map<string, { saga: string; streamId: string; steps: string[] }>();
  for (const e of events) {
    if (!e.category.startsWith('saga_')) continue;
    const entry = sagas.get(e.streamId) ?? { saga: e.category.slice(5), streamId: e.streamId, steps: [] };
    entry.steps.push(e.type);
    sagas.set(e.streamId, entry);
  }
  return {
    correlationId: id,
    events: events.map((e) => ({
      ...eventJson(e),
      published: relays.map((r) => ({ relay: r.name, published: e.position <= r.checkpoint })),
    })),
    deadLetters: plain(deadLetters),
    sagas: [...sagas.values()],
    next: flowEvents.at(-1)?.position.toString() ?? null,
  };
}
