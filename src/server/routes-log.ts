/** Streams, events, the global log and its live tail, and one business flow by correlation id. */
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { StoredEvent } from '../core/envelope.js';
import { NotFoundError } from '../core/errors.js';
import type { ProjectionStorage } from '../projections/index.js';
import { storeBrowser } from './browse/index.js';
import { dataJson, type Env, need, type ServerDeps } from './context.js';
import { type FlowSources, projectionStorageOrNone, readFlow } from './flow.js';
import { eventJson, plain } from './json.js';
import { intParam, listParam, oneOf, positionParam } from './params.js';

const KEEPALIVE_MS = 15_000;

/** Each event's SSE frame, made once however many clients it goes to. */
const frames = new WeakMap<StoredEvent, string>();

function sseFrame(e: StoredEvent): string {
  let frame = frames.get(e);
  if (frame === undefined) {
    // JSON.stringify escapes line breaks, so the data is one line.
    frame = `id: ${e.position}\nevent: event\ndata: ${JSON.stringify(eventJson(e))}\n\n`;
    frames.set(e, frame);
  }
  return frame;
}

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
    const limit = Math.min(intParam(q.limit, 'limit') ?? 100, 1_000);
    const fromVersion = intParam(q.from, 'from');
    const nextOf = (last: number | undefined, version: number) =>
      last === undefined
        ? null
        : direction === 'forward'
          ? last < version
            ? last + 1
            : null
          : last > 1
            ? last - 1
            : null;
    if (browser.readStreamJson !== undefined) {
      const page = await browser.readStreamJson(streamId, { direction, fromVersion, limit });
      c.header('Cache-Control', 'no-store');
      c.header('Content-Type', 'application/json');
      return c.body(
        `{"streamId":${JSON.stringify(streamId)},"version":${page.version},"exists":${page.version > 0},"events":${page.json},"next":${nextOf(page.lastVersion, page.version)}}`,
      );
    }
    const read = await store.readStream(streamId, { direction, fromVersion, limit });
    const next = nextOf(read.events.at(-1)?.version, read.version);
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
    const traceUrl = traceUrlOf(deps.traceUrl, event.metadata.traceparent);
    return dataJson(
      c,
      traceUrl === undefined ? { event: eventJson(event) } : { event: eventJson(event), traceUrl },
    );
  });

  api.get('/log', async (c) => {
    need(c, 'reader');
    const q = c.req.query();
    const options = {
      after: positionParam(q.after, 'after'),
      limit: Math.min(intParam(q.limit, 'limit') ?? 100, 1_000),
      types: listParam(q.types),
      categories: listParam(q.categories),
    };
    if (browser.readLogJson !== undefined) {
      const page = await browser.readLogJson(options);
      c.header('Cache-Control', 'no-store');
      c.header('Content-Type', 'application/json');
      return c.body(`{"events":${page.json},"next":"${page.last}"}`);
    }
    const page = await store.readAll(options);
    return dataJson(c, { events: page.events.map(eventJson), next: page.last.toString() });
  });

  api.get('/log/tail', async (c) => {
    need(c, 'reader');
    const events = await browser.tail(intParam(c.req.query('limit'), 'limit') ?? 50);
    return dataJson(c, { events: events.map(eventJson), last: events.at(-1)?.position.toString() ?? null });
  });

  api.get('/log/live', async (c) => {
    need(c, 'reader');
    const q = c.req.query();
    // Resume after the last event the client saw (EventSource sends it back as Last-Event-ID).
    const resume =
      positionParam(c.req.header('last-event-id'), 'Last-Event-ID') ?? positionParam(q.after, 'after');
    // Without one: from the head, the position of the log's last event.
    const after = resume ?? (await browser.tail(1))[0]?.position ?? 0n;
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
            send: async (events) => {
              await stream.write(events.map(sseFrame).join(''));
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
    const flow = await readFlow(flowSources(deps), id, {
      after: positionParam(c.req.query('after'), 'after'),
      limit: intParam(c.req.query('limit'), 'limit'),
    });
    return dataJson(c, {
      correlationId: flow.correlationId,
      events: flow.events.map(({ event, published }) => ({ ...eventJson(event), published })),
      deadLetters: plain(flow.deadLetters),
      sagas: flow.sagas,
      next: flow.next?.toString() ?? null,
    });
  });
}

/** The runtime's projection storage, else the store's own; undefined for a bare memory store. */
export function projectionStorageOf(deps: ServerDeps): ProjectionStorage | undefined {
  return deps.projections?.storage ?? projectionStorageOrNone(deps.store);
}

function flowSources(deps: ServerDeps): FlowSources {
  return {
    store: deps.store,
    relays: deps.relays.map((r) => (typeof r === 'string' ? r : r.name)),
    projections: projectionStorageOf(deps),
  };
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}/;

/** The trace viewer's URL of the trace an event was created in, when both are known. */
function traceUrlOf(template: string | undefined, traceparent: unknown): string | undefined {
  if (template === undefined || typeof traceparent !== 'string') return undefined;
  const traceId = TRACEPARENT.exec(traceparent)?.[1];
  if (traceId === undefined || /^0+$/.test(traceId)) return undefined;
  return template.replaceAll('{traceId}', traceId);
}
