import type { StoredEvent } from '../../core/envelope.js';
import type { EventStore } from '../../core/store.js';
import { isPostgresStore } from '../../stores/postgres/kit.js';
import { isSqliteStore } from '../../stores/sqlite/kit.js';
import {
  MAX_CORRELATION_PAGE,
  MAX_STREAM_PAGE,
  MAX_TAIL,
  pageLimit,
  type StoreBrowser,
  type StreamSummary,
  streamRange,
} from './browse.js';
import { postgresStoreBrowser } from './postgres/browser.js';
import { sqliteStoreBrowser } from './sqlite/browser.js';

export type { CorrelationQuery, StoreBrowser, StreamPage, StreamQuery, StreamSummary } from './browse.js';

const browsers = new WeakMap<EventStore, StoreBrowser>();

/** The operator reads of a store: SQL of its own on SQLite and PostgreSQL, the log read whole otherwise. */
export function storeBrowser(store: EventStore): StoreBrowser {
  let browser = browsers.get(store);
  if (browser === undefined) {
    browser = isSqliteStore(store)
      ? sqliteStoreBrowser(store)
      : isPostgresStore(store)
        ? postgresStoreBrowser(store)
        : logScanBrowser(store);
    browsers.set(store, browser);
  }
  return browser;
}

async function* everyEvent(store: EventStore, after = 0n): AsyncGenerator<StoredEvent> {
  for (let from = after; ; ) {
    const page = await store.readAll({ after: from, limit: 1_000 });
    yield* page.events;
    if (page.events.length === 0 || page.last === from) return;
    from = page.last;
  }
}

/** For stores without SQL (the memory store): every query reads the whole log. */
function logScanBrowser(store: EventStore): StoreBrowser {
  return {
    async listStreams(query = {}) {
      const limit = pageLimit(query.limit, 50, MAX_STREAM_PAGE);
      const { prefix, exact } = streamRange(query);
      const streams = new Map<string, StreamSummary>();
      for await (const e of everyEvent(store)) {
        const id = e.streamId;
        if (prefix !== undefined && !id.startsWith(prefix) && id !== exact) continue;
        if (query.after !== undefined && id <= query.after) continue;
        streams.set(id, {
          streamId: id,
          category: e.category,
          version: e.version,
          lastPosition: e.position,
          updatedAt: e.timestamp,
        });
      }
      const sorted = [...streams.values()].sort((a, b) => (a.streamId < b.streamId ? -1 : 1));
      const page = sorted.slice(0, limit);
      return { streams: page, next: sorted.length > limit ? page.at(-1)?.streamId : undefined };
    },
    async readEvent(id) {
      for await (const e of everyEvent(store)) if (e.id === id) return e;
      return undefined;
    },
    async tail(limit) {
      const n = pageLimit(limit, 20, MAX_TAIL);
      const last: StoredEvent[] = [];
      for await (const e of everyEvent(store)) {
        last.push(e);
        if (last.length > n) last.shift();
      }
      return last;
    },
    async readCorrelation(id, query = {}) {
      const limit = pageLimit(query.limit, 1_000, MAX_CORRELATION_PAGE);
      const found: StoredEvent[] = [];
      for await (const e of everyEvent(store, query.after)) {
        if (e.metadata.correlationId === id || e.id === id) found.push(e);
        if (found.length === limit) break;
      }
      return found;
    },
  };
}
