/** The pages that show event data (reader role): the stream browser, a stream, an event, the live tail, a correlation. */
import { useEffect, useRef, useState } from '/vendor/hooks.mjs';
import { api, enc, query, useApi } from './api.js';
import {
  Badge,
  DateTime,
  Empty,
  ErrorBox,
  html,
  Json,
  Loaded,
  Loading,
  links,
  Mono,
  PageHeader,
  Time,
} from './ui.js';

const MODES = [
  { value: 'prefix', label: 'Stream id prefix', placeholder: 'order-' },
  { value: 'category', label: 'Category', placeholder: 'order' },
  { value: 'type', label: 'Event type', placeholder: 'OrderPlaced' },
  { value: 'correlation', label: 'Correlation id', placeholder: 'o-1' },
];

function streamsPath(mode, term, after) {
  if (mode === 'type') return `/log${query({ types: term, after, limit: 100 })}`;
  return `/streams${query({ [mode]: term, after, limit: 100 })}`;
}

/** Search streams by prefix or category, events by type, or jump to a correlation. */
export function StreamsPage({ query: q, user }) {
  const mode = MODES.some((m) => m.value === q.mode) ? q.mode : 'prefix';
  const term = q.q ?? '';
  const [draftMode, setDraftMode] = useState(mode);
  const [draft, setDraft] = useState(term);
  // The page is mounted again for every route (app.js keys it by the hash): no syncing needed.
  const submit = (e) => {
    e.preventDefault();
    if (draftMode === 'correlation') {
      if (draft.trim() !== '') location.hash = links.correlation(draft.trim()).slice(1);
      return;
    }
    location.hash = `#/streams${query({ mode: draftMode, q: draft.trim() })}`;
  };
  const current = MODES.find((m) => m.value === draftMode);
  return html`<section>
    <${PageHeader} title="Streams" />
    <form class="toolbar" data-testid="stream-search" onSubmit=${submit}>
      <label class="sr-only" for="search-mode">Search by</label>
      <select
        id="search-mode"
        data-testid="search-mode"
        value=${draftMode}
        onChange=${(e) => setDraftMode(e.currentTarget.value)}
      >
        ${MODES.map((m) => html`<option value=${m.value}>${m.label}</option>`)}
      </select>
      <label class="sr-only" for="search-term">Search</label>
      <input
        id="search-term"
        data-testid="search-input"
        type="search"
        placeholder=${current.placeholder}
        value=${draft}
        onInput=${(e) => setDraft(e.currentTarget.value)}
      />
      <button class="btn btn-primary" type="submit" data-testid="search-submit">Search</button>
    </form>
    ${
      mode === 'type'
        ? term === ''
          ? html`<${Empty}>Enter an event type.</${Empty}>`
          : html`<${TypeResults} key=${term} type=${term} user=${user} />`
        : html`<${StreamResults} key=${`${mode}:${term}`} mode=${mode} term=${term} user=${user} />`
    }
  </section>`;
}

/** Pages of a cursor-paged list: the first from `first`, more with loadMore(). */
function usePaged(pathFor, pick) {
  const [pages, setPages] = useState([]);
  const [next, setNext] = useState(undefined);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(true);
  const load = (after) => {
    setBusy(true);
    api(pathFor(after)).then(
      (data) => {
        const { items, next: n } = pick(data);
        setPages((p) => (after === undefined ? [items] : [...p, items]));
        setNext(n);
        setError(null);
        setBusy(false);
      },
      (e) => {
        setError(e);
        setBusy(false);
      },
    );
  };
  // Loaded once per mount: a new search gets a new key.
  useEffect(() => load(undefined), []);
  return { items: pages.flat(), next, error, busy, loaded: pages.length > 0, loadMore: () => load(next) };
}

function More({ paged }) {
  if (paged.next === null || paged.next === undefined) return null;
  return html`<button class="btn" data-testid="load-more" disabled=${paged.busy} onClick=${paged.loadMore}>
    ${paged.busy ? 'Loading…' : 'Load more'}
  </button>`;
}

function StreamResults({ mode, term, user }) {
  const paged = usePaged(
    (after) => streamsPath(mode, term, after),
    (d) => ({ items: d.streams, next: d.next }),
  );
  if (!paged.loaded && paged.error) return html`<${ErrorBox} error=${paged.error} user=${user} />`;
  if (!paged.loaded) return html`<${Loading} what="streams" />`;
  return html`
    <table class="tbl" data-testid="stream-list">
      <thead>
        <tr><th>Stream</th><th>Category</th><th class="num">Version</th><th class="num">Last position</th><th>Updated</th></tr>
      </thead>
      <tbody>
        ${paged.items.map(
          (s) => html`<tr key=${s.streamId} data-testid="stream-row">
            <td><a class="mono" href=${links.stream(s.streamId)}>${s.streamId}</a></td>
            <td>${s.category}</td>
            <td class="num">${s.version}</td>
            <td class="num mono">${s.lastPosition}</td>
            <td><${DateTime} value=${s.updatedAt} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${paged.items.length === 0 ? html`<${Empty}>No streams match${term ? ` “${term}”` : ''}.</${Empty}>` : null}
    ${paged.error ? html`<${ErrorBox} error=${paged.error} user=${user} />` : null}
    <${More} paged=${paged} />`;
}

function EventTable({ events, showStream = true, testid = 'event-list', extra }) {
  return html`<table class="tbl" data-testid=${testid}>
    <thead>
      <tr>
        <th class="num">Position</th>
        ${showStream ? html`<th>Stream</th>` : html`<th class="num">Version</th>`}
        <th>Type</th>
        <th>Time</th>
        ${extra ? html`<th>${extra.title}</th>` : null}
      </tr>
    </thead>
    <tbody>
      ${events.map(
        (e) => html`<tr key=${e.id} data-testid="event-row" class=${e.fresh ? 'row-new' : undefined}>
          <td class="num mono">${e.position}</td>
          ${
            showStream
              ? html`<td><a class="mono" href=${links.stream(e.streamId)}>${e.streamId}</a></td>`
              : html`<td class="num">${e.version}</td>`
          }
          <td><a href=${links.event(e.id)} data-testid="event-link">${e.type}</a></td>
          <td><${Time} value=${e.timestamp} /></td>
          ${extra ? html`<td>${extra.cell(e)}</td>` : null}
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function TypeResults({ type, user }) {
  const paged = usePaged(
    (after) => streamsPath('type', type, after),
    (d) => ({ items: d.events, next: d.events.length < 100 ? null : d.next }),
  );
  if (!paged.loaded && paged.error) return html`<${ErrorBox} error=${paged.error} user=${user} />`;
  if (!paged.loaded) return html`<${Loading} what="events" />`;
  return html`<${EventTable} events=${paged.items} />
    ${paged.items.length === 0 ? html`<${Empty}>No events of type “${type}”.</${Empty}>` : null}
    ${paged.error ? html`<${ErrorBox} error=${paged.error} user=${user} />` : null}
    <${More} paged=${paged} />`;
}

/** One stream's events, oldest first, 100 at a time. */
export function StreamPage({ params, user }) {
  const streamId = params[0];
  const [head, setHead] = useState(null);
  const paged = usePaged(
    (from) => `/streams/${enc(streamId)}/events${query({ direction: 'forward', from, limit: 100 })}`,
    (d) => {
      setHead(d);
      return { items: d.events, next: d.next };
    },
  );
  return html`<section>
    <${PageHeader} title="Stream" testid="page-title">
      <a class="btn" href="#/streams">All streams</a>
    </${PageHeader}>
    <p class="subtitle"><${Mono}><span data-testid="stream-id">${streamId}</span></${Mono}>
      ${head ? html` · version <span data-testid="stream-version">${head.version}</span>` : null}
    </p>
    ${
      !paged.loaded && paged.error
        ? html`<${ErrorBox} error=${paged.error} user=${user} />`
        : !paged.loaded
          ? html`<${Loading} what="events" />`
          : head && !head.exists
            ? html`<${Empty}>This stream does not exist.</${Empty}>`
            : html`<${EventTable} events=${paged.items} showStream=${false} />
                ${paged.error ? html`<${ErrorBox} error=${paged.error} user=${user} />` : null}
                <${More} paged=${paged} />`
    }
  </section>`;
}

function Field({ label, children, testid }) {
  return html`<div class="field"><dt>${label}</dt><dd data-testid=${testid}>${children}</dd></div>`;
}

/** The trace id in a W3C traceparent ('00-<trace id>-<span id>-<flags>'). */
function traceIdOf(traceparent) {
  return typeof traceparent === 'string' ? (traceparent.split('-')[1] ?? traceparent) : '';
}

/**
 * One event: its envelope, data and metadata as text, and links to what caused it, its flow and, when
 * the server has a trace viewer's URL, its trace.
 */
export function EventPage({ params, user }) {
  const state = useApi(`/events/${enc(params[0])}`);
  return html`<section>
    <${PageHeader} title="Event" />
    <${Loaded} state=${state} user=${user} what="the event">
      ${({ event: e, traceUrl }) => html`
        <dl class="fields" data-testid="event-fields">
          <${Field} label="Type" testid="event-type"><strong>${e.type}</strong> <span class="muted">v${e.schemaVersion}</span></${Field}>
          <${Field} label="Id"><${Mono}>${e.id}</${Mono}></${Field}>
          <${Field} label="Stream"><a class="mono" href=${links.stream(e.streamId)}>${e.streamId}</a> · version ${e.version}</${Field}>
          <${Field} label="Category">${e.category}</${Field}>
          <${Field} label="Position"><${Mono}>${e.position}</${Mono}></${Field}>
          <${Field} label="Time"><${Mono}>${e.timestamp}</${Mono}></${Field}>
          <${Field} label="Correlation">
            ${
              e.metadata?.correlationId
                ? html`<a class="mono" data-testid="correlation-link" href=${links.correlation(e.metadata.correlationId)}>${e.metadata.correlationId}</a>`
                : html`<span class="muted">none</span>`
            }
          </${Field}>
          <${Field} label="Caused by">
            ${
              e.metadata?.causationId
                ? html`<a class="mono" data-testid="causation-link" href=${links.event(e.metadata.causationId)}>${e.metadata.causationId}</a>`
                : html`<span class="muted">none</span>`
            }
          </${Field}>
          ${
            traceUrl
              ? html`<${Field} label="Trace"><a class="mono" data-testid="trace-link" href=${traceUrl} rel="noopener noreferrer" target="_blank">${traceIdOf(e.metadata.traceparent)}</a></${Field}>`
              : null
          }
        </dl>
        <div class="grid-2">
          <div class="card"><h2>Data</h2><${Json} value=${e.data} testid="event-data" /></div>
          <div class="card"><h2>Metadata</h2><${Json} value=${e.metadata} testid="event-metadata" /></div>
        </div>`}
    </${Loaded}>
  </section>`;
}

const LIVE_CAP = 200;

/** The log as it is written: the last events, then each new one on top, at most 200 rows. */
export function LivePage({ user }) {
  const [rows, setRows] = useState([]);
  const [status, setStatus] = useState('connecting');
  const [error, setError] = useState(null);
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(false);
  pausedRef.current = paused;
  useEffect(() => {
    let source;
    let closed = false;
    const seen = new Set();
    const add = (events) => {
      const fresh = events.filter((e) => !seen.has(e.position));
      for (const e of fresh) seen.add(e.position);
      if (fresh.length === 0) return;
      setRows((r) => {
        const next = [...fresh.reverse(), ...r].slice(0, LIVE_CAP);
        if (seen.size > LIVE_CAP * 4) {
          seen.clear();
          for (const e of next) seen.add(e.position);
        }
        return next;
      });
    };
    const open = (after) => {
      if (closed) return;
      source = new EventSource(`/api/v1/log/live${query({ after })}`);
      source.addEventListener('ready', () => setStatus('live'));
      source.addEventListener('event', (m) => {
        if (!pausedRef.current) add([{ ...JSON.parse(m.data), fresh: true }]);
      });
      source.addEventListener('dropped', () => setStatus('dropped'));
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) {
          setStatus('closed');
          // EventSource does not say why; ask the API the same question to show the reason.
          api('/log?limit=1').catch((e) => setError(e));
        } else setStatus('reconnecting');
      };
    };
    (async () => {
      try {
        // The last 50 events, then everything after the last of them, live.
        const tail = await api('/log/tail?limit=50');
        add(tail.events);
        open(tail.last ?? '0');
      } catch (e) {
        setError(e);
        setStatus('closed');
      }
    })();
    return () => {
      closed = true;
      source?.close();
    };
  }, []);
  return html`<section>
    <${PageHeader} title="Live log">
      <span class=${`live-status live-${status}`} data-testid="live-status">${status}</span>
      <button class="btn" data-testid="live-pause" onClick=${() => setPaused((p) => !p)}>
        ${paused ? 'Resume' : 'Pause'}
      </button>
      <button class="btn" onClick=${() => setRows([])}>Clear</button>
    </${PageHeader}>
    ${error ? html`<${ErrorBox} error=${error} user=${user} />` : null}
    ${
      error && rows.length === 0
        ? null
        : html`<p class="muted small">Newest on top · the last ${LIVE_CAP} events are kept.</p>
          <${EventTable}
            events=${rows}
            testid="live-list"
            extra=${{
              title: 'Correlation',
              cell: (e) =>
                e.metadata?.correlationId
                  ? html`<a class="mono" href=${links.correlation(e.metadata.correlationId)}>${e.metadata.correlationId}</a>`
                  : html`<span class="muted">—</span>`,
            }}
          />
          ${rows.length === 0 && !error ? html`<${Empty}>Waiting for events…</${Empty}>` : null}`
    }
  </section>`;
}

/** One business flow: its events in log order, whether the relays published them, its dead letters and sagas. */
export function CorrelationPage({ params, user }) {
  const id = params[0];
  const state = useApi(`/correlations/${enc(id)}${query({ limit: 1000 })}`);
  return html`<section>
    <${PageHeader} title="Correlation" />
    <p class="subtitle"><${Mono}><span data-testid="correlation-id">${id}</span></${Mono}></p>
    <${Loaded} state=${state} user=${user} what="the flow">
      ${(flow) => html`
        <div class="card">
          <h2>Events <span class="count">${flow.events.length}</span></h2>
          ${
            flow.events.length === 0
              ? html`<${Empty}>No events carry this correlation id.</${Empty}>`
              : html`<${EventTable}
                  events=${flow.events}
                  testid="flow-events"
                  extra=${{
                    title: 'Published',
                    cell: (e) =>
                      e.published.length === 0
                        ? html`<span class="muted">no relay</span>`
                        : e.published.map(
                            (p) =>
                              html`<span
                                class=${p.published ? 'chip chip-ok' : 'chip chip-pending'}
                                title=${p.published ? `published by ${p.relay}` : `not yet published by ${p.relay}`}
                                data-testid="published-flag"
                                >${p.relay} ${p.published ? '✓' : '✗'}</span
                              >`,
                          ),
                  }}
                />`
          }
        </div>
        <div class="grid-2">
          <div class="card">
            <h2>Dead letters <span class="count">${flow.deadLetters.length}</span></h2>
            ${
              flow.deadLetters.length === 0
                ? html`<${Empty}>None.</${Empty}>`
                : html`<ul class="plain" data-testid="flow-dead-letters">
                    ${flow.deadLetters.map(
                      (d) => html`<li>
                        <a href=${links.deadLetters(d.projection)}>#${d.id} ${d.projection}</a>
                        <${Badge} value=${d.status} /> <span class="error-text">${d.error?.message ?? ''}</span>
                      </li>`,
                    )}
                  </ul>`
            }
          </div>
          <div class="card">
            <h2>Sagas <span class="count">${flow.sagas.length}</span></h2>
            ${
              flow.sagas.length === 0
                ? html`<${Empty}>No saga took part.</${Empty}>`
                : flow.sagas.map(
                    (s) => html`<div class="saga-steps" data-testid="flow-saga">
                      <a href=${links.saga(s.saga, id)}><strong>${s.saga}</strong></a>
                      <span class="muted mono"> ${s.streamId}</span>
                      <ol class="steps">
                        ${s.steps.map((step) => html`<li>${step}</li>`)}
                      </ol>
                    </div>`,
                  )
            }
          </div>
        </div>`}
    </${Loaded}>
  </section>`;
}
