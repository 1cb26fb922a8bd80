/** The operations pages: overview, projections and rebuilds, dead letters, sagas, relays and consumers. */
import { useEffect, useRef, useState } from '/vendor/hooks.mjs';
import { api, enc, query, useApi } from './api.js';
import {
  Badge,
  DateTime,
  Empty,
  ErrorBox,
  formatMs,
  formatNumber,
  html,
  Json,
  Loaded,
  links,
  Mono,
  PageHeader,
  Time,
  useReason,
} from './ui.js';

const POLL_MS = 2000;

/** Lag against the SLA: a meter whose middle is the SLA line (max = twice the SLA). */
export function LagMeter({ projection: p }) {
  const sla = p.sla?.maxLagMs;
  if (sla === undefined || sla === null) {
    return html`<span class="lag" data-testid="lag">${formatMs(p.lagMs)} <span class="muted">· no SLA</span></span>`;
  }
  const max = sla * 2;
  return html`<span class="lag" data-testid="lag">
    <span class="lagbar" title=${`lag ${formatMs(p.lagMs)}; SLA ${formatMs(sla)} (the line)`}>
      <meter min="0" max=${max} low=${sla * 0.5} high=${sla} optimum="0" value=${Math.min(p.lagMs ?? 0, max)}></meter>
    </span>
    <span class=${p.breached ? 'lag-text breached' : 'lag-text'}>${formatMs(p.lagMs)} / ${formatMs(sla)}</span>
  </span>`;
}

function Stat({ label, value, testid, href, tone }) {
  const body = html`<div class="stat-value" data-testid=${testid}>${value}</div><div class="stat-label">${label}</div>`;
  return href
    ? html`<a class=${`stat ${tone ?? ''}`} href=${href}>${body}</a>`
    : html`<div class=${`stat ${tone ?? ''}`}>${body}</div>`;
}

/** The application's checks (business invariants): shown only when the application has some. */
function ChecksCard() {
  const state = useApi('/checks', { interval: POLL_MS });
  const checks = state.data?.checks ?? [];
  if (checks.length === 0) return null;
  const failing = checks.filter((c) => !c.ok).length;
  return html`<div class="card checks" data-testid="checks">
    <h2>
      Invariants
      ${' '}<${Badge} value=${failing === 0 ? 'all hold' : `${failing} broken`} kind=${failing === 0 ? 'ok' : 'bad'} />
    </h2>
    <ul class="check-list">
      ${checks.map(
        (c) => html`<li key=${c.name} data-testid=${`check-${c.name}`} data-ok=${String(c.ok)}>
          <${Badge} value=${c.ok ? 'holds' : 'broken'} kind=${c.ok ? 'ok' : 'bad'} />
          <span class="check-name">${c.name}</span>
          ${c.detail ? html`<span class="muted small check-detail">${c.detail}</span>` : null}
        </li>`,
      )}
    </ul>
  </div>`;
}

export function OverviewPage({ user }) {
  const state = useApi('/overview', { interval: POLL_MS });
  const previous = useRef(null);
  const [rate, setRate] = useState(null);
  useEffect(() => {
    const d = state.data;
    if (d === null || d.head === null) return;
    const sample = { head: BigInt(d.head), at: Date.parse(d.now) };
    const prev = previous.current;
    if (prev !== null && sample.at > prev.at && sample.head !== prev.head) {
      setRate(Number(sample.head - prev.head) / ((sample.at - prev.at) / 1000));
    } else if (prev !== null && sample.at > prev.at) {
      setRate(0);
    }
    if (prev === null || sample.at > prev.at) previous.current = sample;
  }, [state.data]);
  return html`<section>
    <${PageHeader} title="Overview" />
    <${Loaded} state=${state} user=${user} what="the overview">
      ${(d) => html`
        <div class="stats">
          <${Stat} label="Head position" value=${d.head ?? '—'} testid="head" />
          <${Stat}
            label="Events / s (between polls)"
            value=${rate === null ? '…' : formatNumber(rate)}
            testid="event-rate"
          />
          <${Stat}
            label="Dead letters"
            value=${d.deadLetters}
            testid="dead-letter-count"
            href="#/dead-letters"
            tone=${d.deadLetters > 0 ? 'stat-bad' : ''}
          />
          <${Stat} label="Parked" value=${d.parked} testid="parked-count" tone=${d.parked > 0 ? 'stat-warn' : ''} />
          <${Stat} label="Live clients" value=${d.liveClients} testid="live-clients" href="#/live" />
        </div>
        <div class="grid-2">
          <div class="card">
            <h2>Projection lag</h2>
            ${
              d.projections.length === 0
                ? html`<${Empty}>No projections.</${Empty}>`
                : html`<table class="tbl" data-testid="overview-projections">
                    <thead><tr><th>Projection</th><th>Lag vs SLA</th><th class="num">Behind</th><th class="num">Dead</th></tr></thead>
                    <tbody>
                      ${d.projections.map(
                        (p) => html`<tr key=${p.name}>
                          <td><a href="#/projections">${p.name}</a></td>
                          <td><${LagMeter} projection=${p} /></td>
                          <td class="num">${formatNumber(p.behind)}</td>
                          <td class="num">
                            ${p.deadLetters > 0 ? html`<a class="bad" href=${links.deadLetters(p.name)}>${p.deadLetters}</a>` : '0'}
                          </td>
                        </tr>`,
                      )}
                    </tbody>
                  </table>`
            }
          </div>
          <div class="card">
            <h2>Sagas</h2>
            ${
              Object.keys(d.sagas).length === 0
                ? html`<${Empty}>No saga instances.</${Empty}>`
                : html`<ul class="saga-states" data-testid="saga-states">
                    ${Object.entries(d.sagas).map(
                      ([status, count]) => html`<li>
                        <a href=${`#/sagas${query({ state: status })}`}><${Badge} value=${status} /></a>
                        <strong data-testid=${`saga-state-${status}`}>${count}</strong>
                      </li>`,
                    )}
                  </ul>`
            }
          </div>
        </div>
        <${ChecksCard} />
        <p class="muted small">Server time <${DateTime} value=${d.now} /> · refreshes every ${POLL_MS / 1000} s</p>`}
    </${Loaded}>
  </section>`;
}

/** A rebuild in progress: the operation's SSE feeds a progress bar until done or failed. */
function RebuildProgress({ operation: initial, onEnd }) {
  const [op, setOp] = useState(initial);
  useEffect(() => {
    const source = new EventSource(`/api/v1/operations/${enc(initial.id)}/events`);
    const update = (m) => {
      const next = JSON.parse(m.data);
      setOp(next);
      if (next.state !== 'running') {
        source.close();
        onEnd?.(next);
      }
    };
    for (const name of ['running', 'done', 'failed']) source.addEventListener(name, update);
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return;
      api(`/operations/${enc(initial.id)}`).then(
        (d) => setOp(d.operation),
        () => {},
      );
    };
    return () => source.close();
  }, [initial.id]);
  const p = op.progress ?? {};
  const total = op.state === 'done' && !(p.total > 0) ? 1 : (p.total ?? 0);
  const done = op.state === 'done' && !(p.total > 0) ? 1 : (p.done ?? 0);
  const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
  return html`<div class="rebuild" data-testid="rebuild-progress" data-state=${op.state}>
    <progress max=${total > 0 ? total : 1} value=${total > 0 ? done : undefined}></progress>
    <span class="rebuild-text">
      <strong data-testid="rebuild-percent">${percent}%</strong>
      <span class="muted">
        ${` ${formatNumber(done)} / ${formatNumber(total)}`}
        ${op.state === 'running' ? ` · ${p.phase ?? 'starting'} · ETA ${formatMs(p.etaMs)}` : ''}
        ${p.rate ? ` · ${formatNumber(p.rate)}/s` : ''}
      </span>
      <${Badge} value=${op.state} />
      ${op.error ? html`<span class="error-text"> ${op.error}</span>` : null}
    </span>
  </div>`;
}

export function ProjectionsPage({ user }) {
  const state = useApi('/projections', { interval: POLL_MS });
  const [dialog, ask] = useReason();
  const [ops, setOps] = useState({});
  const [actionError, setActionError] = useState(null);
  const rebuild = async (name) => {
    const reason = await ask(`Rebuild ${name}`, 'The projection is rebuilt from the start of the log.');
    if (reason === null) return;
    try {
      const { operation } = await api(`/projections/${enc(name)}/rebuild`, {
        method: 'POST',
        body: { reason },
      });
      setActionError(null);
      setOps((o) => ({ ...o, [name]: operation }));
    } catch (e) {
      setActionError(e);
    }
  };
  const pauseOrResume = async (name, paused) => {
    const action = paused ? 'resume' : 'pause';
    const reason = await ask(
      `${paused ? 'Resume' : 'Pause'} ${name}`,
      paused
        ? 'The runner carries on from its checkpoint.'
        : 'The runner stops at its next batch and keeps its lease; readers keep the read model as it is; its lag grows.',
    );
    if (reason === null) return;
    try {
      await api(`/projections/${enc(name)}/${action}`, { method: 'POST', body: { reason } });
      setActionError(null);
      state.reload();
    } catch (e) {
      setActionError(e);
    }
  };
  const canOperate = user && ['operator', 'admin'].includes(user.role);
  return html`<section>
    <${PageHeader} title="Projections" />
    ${dialog}
    ${actionError ? html`<${ErrorBox} error=${actionError} user=${user} />` : null}
    <${Loaded} state=${state} user=${user} what="projections">
      ${(d) =>
        d.projections.length === 0
          ? html`<${Empty}>No projections.</${Empty}>`
          : html`<table class="tbl" data-testid="projection-list">
              <thead>
                <tr>
                  <th>Name</th><th>Mode</th><th class="num">Gen.</th><th class="num">Position / head</th>
                  <th class="num">Behind</th><th>Lag vs SLA</th><th class="num">Dead</th><th class="num">Parked</th>
                  <th>Runner</th><th>Actions</th>
                </tr>
              </thead>
              <tbody>
                ${d.projections.map(
                  (p) => html`<tr key=${p.name} data-testid=${`projection-${p.name}`}>
                    <td>
                      <strong>${p.name}</strong> <span class="muted">v${p.version}</span>
                      ${p.paused ? html` <span title=${`paused by ${p.paused.by}: ${p.paused.reason}`}><${Badge} value="paused" kind="warn" /></span>` : null}
                    </td>
                    <td>${p.mode}</td>
                    <td class="num">${p.generation}</td>
                    <td class="num mono">${p.position} / ${p.head}</td>
                    <td class="num">${formatNumber(p.behind)}</td>
                    <td><${LagMeter} projection=${p} />${p.breached ? html` <${Badge} value="breached" kind="bad" />` : null}</td>
                    <td class="num">
                      ${p.deadLetters > 0 ? html`<a class="bad" href=${links.deadLetters(p.name)}>${p.deadLetters}</a>` : '0'}
                    </td>
                    <td class="num">${p.parked}</td>
                    <td>
                      ${
                        p.runner
                          ? html`<${Badge} value=${p.runner.alive ? 'alive' : 'expired'} kind=${p.runner.alive ? 'ok' : 'bad'} />
                              <span class="mono small muted" title=${p.runner.owner}> ${p.runner.owner}</span>`
                          : html`<span class="muted">${p.mode === 'inline' ? 'inline' : 'none'}</span>`
                      }
                    </td>
                    <td class="rebuild-cell">
                      ${
                        ops[p.name]
                          ? html`<${RebuildProgress} key=${ops[p.name].id} operation=${ops[p.name]} onEnd=${() => state.reload()} />`
                          : p.rebuilding
                            ? html`<span class="muted">rebuilding…</span>`
                            : null
                      }
                      <button
                        class="btn btn-small"
                        data-testid=${`rebuild-${p.name}`}
                        disabled=${!canOperate || p.mode === 'inline' || (p.rebuilding !== null && p.rebuilding !== undefined)}
                        title=${canOperate ? 'Rebuild from the start of the log' : 'needs the operator role'}
                        onClick=${() => rebuild(p.name)}
                      >
                        Rebuild
                      </button>
                      <button
                        class="btn btn-small"
                        data-testid=${`${p.paused ? 'resume' : 'pause'}-${p.name}`}
                        disabled=${!canOperate || p.mode === 'inline'}
                        title=${canOperate ? (p.paused ? 'Let the runner carry on' : 'Stop the runner at its next batch') : 'needs the operator role'}
                        onClick=${() => pauseOrResume(p.name, p.paused !== null && p.paused !== undefined)}
                      >
                        ${p.paused ? 'Resume' : 'Pause'}
                      </button>
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
    </${Loaded}>
  </section>`;
}

export function DeadLettersPage({ query: q, user }) {
  const projection = q.projection ?? '';
  const status = q.status ?? '';
  const state = useApi(`/dead-letters${query({ projection, status, limit: 500 })}`);
  const [dialog, ask] = useReason();
  const [message, setMessage] = useState(null);
  const [gone, setGone] = useState(new Set());
  const setFilter = (next) => {
    location.hash = `#/dead-letters${query({ projection, status, ...next })}`;
  };
  const act = async (letter, action) => {
    const reason = await ask(
      `${action === 'retry' ? 'Retry' : 'Skip'} dead letter #${letter.id}`,
      action === 'retry'
        ? `The event is handed to ${letter.projection} again.`
        : `${letter.projection} goes on without this event.`,
    );
    if (reason === null) return;
    try {
      const { result } = await api(`/dead-letters/${letter.id}/${action}`, {
        method: 'POST',
        body: { reason },
      });
      const ok = result.outcome !== 'failed';
      setMessage({ ok, text: `Dead letter #${letter.id}: ${action} ${result.outcome ?? 'done'}` });
      if (result.outcome === 'applied') setGone((g) => new Set([...g, letter.id]));
      state.reload();
    } catch (e) {
      setMessage({ ok: false, error: e });
    }
  };
  const canOperate = user && ['operator', 'admin'].includes(user.role);
  return html`<section>
    <${PageHeader} title="Dead letters">
      <button class="btn" onClick=${() => state.reload()}>Refresh</button>
    </${PageHeader}>
    ${dialog}
    <form class="toolbar" onSubmit=${(e) => {
      e.preventDefault();
      setFilter({ projection: new FormData(e.currentTarget).get('projection') });
    }}>
      <label for="dl-projection">Projection</label>
      <input id="dl-projection" name="projection" value=${projection} placeholder="any" />
      <label for="dl-status">Status</label>
      <select id="dl-status" value=${status} onChange=${(e) => setFilter({ status: e.currentTarget.value })}>
        <option value="">any</option>
        <option value="dead">dead</option>
        <option value="parked">parked</option>
      </select>
      <button class="btn" type="submit">Filter</button>
    </form>
    ${
      message
        ? message.error
          ? html`<${ErrorBox} error=${message.error} user=${user} />`
          : html`<div class=${message.ok ? 'notice notice-ok' : 'notice notice-error'} data-testid="action-result" role="status">${message.text}</div>`
        : null
    }
    <${Loaded} state=${state} user=${user} what="dead letters">
      ${(d) => {
        const letters = d.deadLetters.filter((l) => !gone.has(l.id) || l.status !== 'dead');
        if (letters.length === 0)
          return html`<${Empty}>No dead letters. Every projection handled every event.</${Empty}>`;
        return d.groups.map((g) => {
          const inGroup = letters.filter(
            (l) => l.projection === g.projection && (l.error?.message ?? '(parked)') === g.error,
          );
          if (inGroup.length === 0) return null;
          return html`<div class="card dl-group" data-testid="dead-letter-group">
            <h2>
              <span class="muted">${g.projection}</span> · <span class="error-text">${g.error}</span>
              <span class="count">${inGroup.length}</span>
            </h2>
            ${inGroup.map(
              (l) => html`<div class="dl-row" key=${l.id} data-testid="dead-letter" data-id=${l.id}>
                <div class="dl-head">
                  <strong>#${l.id}</strong>
                  <${Badge} value=${l.status} />
                  <a href=${links.event(l.event.id)} data-testid="dead-letter-event">${l.event.type}</a>
                  <span class="muted">in</span> <a class="mono" href=${links.stream(l.event.streamId)}>${l.event.streamId}</a>
                  <span class="muted">@ ${l.event.position} · ${l.attempts} attempt${l.attempts === 1 ? '' : 's'} ·</span>
                  <${DateTime} value=${l.createdAt} />
                  ${l.action ? html`<span class="muted"> · requested: ${typeof l.action === 'string' ? l.action : JSON.stringify(l.action)}</span>` : null}
                  <span class="spacer"></span>
                  <button class="btn btn-small btn-primary" data-testid="retry" disabled=${!canOperate} onClick=${() => act(l, 'retry')}>Retry</button>
                  <button class="btn btn-small" data-testid="skip" disabled=${!canOperate} onClick=${() => act(l, 'skip')}>Skip</button>
                </div>
                <${Json} value=${l.event.data} testid="dead-letter-data" />
                ${l.error?.stack ? html`<details><summary>Stack</summary><pre class="json">${l.error.stack}</pre></details>` : null}
              </div>`,
            )}
          </div>`;
        });
      }}
    </${Loaded}>
  </section>`;
}

const SAGA_STATES = ['', 'new', 'running', 'compensating', 'parked', 'completed', 'compensated', 'aborted'];

export function SagasPage({ query: q, user }) {
  const filters = { name: q.name ?? '', state: q.state ?? '', correlation: q.correlation ?? '' };
  const state = useApi(`/sagas${query(filters)}`, { interval: POLL_MS * 2 });
  const submit = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    location.hash = `#/sagas${query({ name: f.get('name'), state: f.get('state'), correlation: f.get('correlation') })}`;
  };
  return html`<section>
    <${PageHeader} title="Sagas" />
    <form class="toolbar" data-testid="saga-filters" onSubmit=${submit}>
      <label for="saga-name">Saga</label>
      <input id="saga-name" name="name" value=${filters.name} placeholder="any" />
      <label for="saga-state">State</label>
      <select id="saga-state" name="state" value=${filters.state}>
        ${SAGA_STATES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
      </select>
      <label for="saga-corr">Correlation</label>
      <input id="saga-corr" name="correlation" value=${filters.correlation} placeholder="any" />
      <button class="btn btn-primary" type="submit">Filter</button>
    </form>
    <${Loaded} state=${state} user=${user} what="sagas">
      ${(d) =>
        d.sagas.length === 0
          ? html`<${Empty}>No saga instances match.</${Empty}>`
          : html`<table class="tbl" data-testid="saga-list">
              <thead>
                <tr><th>Saga</th><th>Correlation</th><th>Status</th><th>Step</th><th>Phase</th><th class="num">Attempt</th><th>Updated</th><th>Parked because</th></tr>
              </thead>
              <tbody>
                ${d.sagas.map(
                  (s) => html`<tr key=${s.streamId} data-testid="saga-row">
                    <td>${s.saga}</td>
                    <td><a class="mono" href=${links.saga(s.saga, s.correlationId)}>${s.correlationId}</a></td>
                    <td><${Badge} value=${s.status} /></td>
                    <td>${s.step ?? html`<span class="muted">—</span>`}</td>
                    <td>${s.phase}</td>
                    <td class="num">${s.attempt}</td>
                    <td><${DateTime} value=${s.updatedAt} /></td>
                    <td>${s.parkedReason ?? ''}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
    </${Loaded}>
  </section>`;
}

const SAGA_ACTIONS = [
  { action: 'retry', label: 'Retry', detail: 'Runs the pending step again.' },
  { action: 'skip', label: 'Skip', detail: 'Treats the pending step as done and goes on.' },
  { action: 'compensate', label: 'Compensate', detail: 'Undoes the steps that succeeded, newest first.' },
  { action: 'abort', label: 'Abort', detail: 'Stops the instance where it is, without compensation.' },
];

export function SagaPage({ params, user }) {
  const [name, correlationId] = params;
  const state = useApi(`/sagas/${enc(name)}/${enc(correlationId)}`);
  const [dialog, ask] = useReason();
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const act = async ({ action, label, detail }) => {
    const reason = await ask(`${label} ${name} / ${correlationId}`, detail);
    if (reason === null) return;
    setBusy(true);
    try {
      const { outcome } = await api(`/sagas/${enc(name)}/${enc(correlationId)}/${action}`, {
        method: 'POST',
        body: { reason },
      });
      setResult({ outcome });
      state.reload();
    } catch (e) {
      setResult({ error: e });
    } finally {
      setBusy(false);
    }
  };
  const canOperate = user && ['operator', 'admin'].includes(user.role);
  return html`<section>
    <${PageHeader} title="Saga instance">
      <a class="btn" href=${links.correlation(correlationId)}>Correlation flow</a>
      <a class="btn" href="#/sagas">All sagas</a>
    </${PageHeader}>
    <p class="subtitle">${name} · <${Mono}>${correlationId}</${Mono}></p>
    ${dialog}
    ${
      result?.error
        ? html`<${ErrorBox} error=${result.error} user=${user} />`
        : result
          ? html`<div class=${result.outcome.applied === false ? 'notice notice-warn' : 'notice notice-ok'} data-testid="action-result" role="status">
              ${result.outcome.action}:
              ${result.outcome.applied === true ? ' applied' : result.outcome.applied === false ? ' not applied' : ' requested (the runner has not answered yet)'}
              ${result.outcome.note ? ` — ${result.outcome.note}` : ''}
            </div>`
          : null
    }
    <${Loaded} state=${state} user=${user} what="the instance">
      ${({ instance: s }) => html`
        <div class="grid-2">
          <div class="card">
            <h2>State</h2>
            <dl class="fields">
              <div class="field"><dt>Status</dt><dd data-testid="saga-status"><${Badge} value=${s.status} /></dd></div>
              <div class="field"><dt>Pending step</dt><dd data-testid="saga-step">${s.step ?? html`<span class="muted">none</span>`}
                ${s.waiting ? html` <span class="muted">· waiting for ${s.waiting}</span>` : null}</dd></div>
              <div class="field"><dt>Phase</dt><dd>${s.phase} · attempt ${s.attempt}</dd></div>
              <div class="field"><dt>Succeeded</dt><dd>${s.succeeded.length ? s.succeeded.join(' → ') : html`<span class="muted">none</span>`}</dd></div>
              <div class="field"><dt>Compensated</dt><dd>${s.compensated.length ? s.compensated.join(' → ') : html`<span class="muted">none</span>`}</dd></div>
              ${s.failure ? html`<div class="field"><dt>Failure</dt><dd class="error-text">${s.failure.step}: ${s.failure.reason}</dd></div>` : null}
              ${s.parked ? html`<div class="field"><dt>Parked</dt><dd><${Json} value=${s.parked} compact /></dd></div>` : null}
              <div class="field"><dt>Stream</dt><dd><a class="mono" href=${links.stream(s.streamId)}>${s.streamId}</a></dd></div>
            </dl>
          </div>
          <div class="card">
            <h2>Timeouts <span class="count">${s.timeouts.length}</span></h2>
            ${
              s.timeouts.length === 0
                ? html`<${Empty}>No pending timeouts.</${Empty}>`
                : html`<table class="tbl" data-testid="saga-timeouts">
                    <thead><tr><th>Token</th><th>Purpose</th><th>Due</th></tr></thead>
                    <tbody>${s.timeouts.map((t) => html`<tr><td class="mono">${t.token}</td><td>${t.purpose}</td><td><${DateTime} value=${t.dueAt} /></td></tr>`)}</tbody>
                  </table>`
            }
            <h2>Actions</h2>
            <div class="actions" data-testid="saga-actions">
              ${SAGA_ACTIONS.map(
                (a) => html`<button
                  class=${a.action === 'abort' ? 'btn btn-danger' : 'btn'}
                  data-testid=${`saga-${a.action}`}
                  disabled=${!canOperate || busy}
                  title=${a.detail}
                  onClick=${() => act(a)}
                >${a.label}</button>`,
              )}
            </div>
            ${canOperate ? null : html`<p class="muted small">Actions need the operator role.</p>`}
          </div>
        </div>
        <div class="card">
          <h2>History <span class="count">${s.events.length}</span></h2>
          <table class="tbl" data-testid="saga-history">
            <thead><tr><th class="num">Ver.</th><th>Type</th><th>Time</th><th>Data</th></tr></thead>
            <tbody>
              ${s.events.map(
                (e) => html`<tr key=${e.id}>
                  <td class="num">${e.version}</td>
                  <td><a href=${links.event(e.id)}>${e.type}</a></td>
                  <td><${Time} value=${e.timestamp} /></td>
                  <td class="data-cell"><${Json} value=${e.data} compact /></td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`}
    </${Loaded}>
  </section>`;
}

export function MessagingPage({ user }) {
  const state = useApi('/messaging', { interval: POLL_MS * 2 });
  return html`<section>
    <${PageHeader} title="Relays and consumers" />
    <${Loaded} state=${state} user=${user} what="messaging">
      ${(d) => html`
        <div class="card">
          <h2>Relays <span class="count">${d.relays.length}</span></h2>
          ${
            d.relays.length === 0
              ? html`<${Empty}>No relays.</${Empty}>`
              : html`<table class="tbl" data-testid="relay-list">
                  <thead><tr><th>Relay</th><th class="num">Checkpoint</th><th class="num">Behind</th><th>Status</th></tr></thead>
                  <tbody>
                    ${d.relays.map(
                      (r) => html`<tr key=${r.name}>
                        <td><strong>${r.name}</strong></td>
                        <td class="num mono">${r.checkpoint}</td>
                        <td class="num">${r.behind === null ? '—' : html`<span class=${r.behind > 0 ? 'warn' : ''}>${formatNumber(r.behind)}</span>`}</td>
                        <td>${r.status === null ? html`<span class="muted">not run by this server</span>` : html`<${Json} value=${r.status} compact />`}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>`
          }
        </div>
        ${
          d.outbox
            ? html`<div class="card" data-testid="outbox">
                <h2>Outbox</h2>
                <p><strong data-testid="outbox-pending">${formatNumber(d.outbox.pending)}</strong> rows not published yet</p>
              </div>`
            : null
        }
        <div class="card">
          <h2>Consumer groups <span class="count">${d.consumers.length}</span></h2>
          ${
            d.consumers.length === 0
              ? html`<${Empty}>No consumer groups are watched (pass a broker and groups to serve()).</${Empty}>`
              : html`<table class="tbl" data-testid="consumer-list">
                  <thead><tr><th>Group</th><th class="num">Lag</th><th>Partitions</th><th>Error</th></tr></thead>
                  <tbody>
                    ${d.consumers.map(
                      (c) => html`<tr key=${c.group}>
                        <td><strong>${c.group}</strong></td>
                        <td class="num">${c.lag === null || c.lag === undefined ? '—' : formatNumber(c.lag)}</td>
                        <td>${(c.partitions ?? []).length ? html`<${Json} value=${c.partitions} compact />` : html`<span class="muted">—</span>`}</td>
                        <td class="error-text">${c.error ?? ''}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>`
          }
        </div>`}
    </${Loaded}>
  </section>`;
}
