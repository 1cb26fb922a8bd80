/** Shared pieces: html, links, time and number formats, JSON as text, the API states, the reason dialog. */

import { useRef, useState } from '/vendor/hooks.mjs';
import htm from '/vendor/htm.mjs';
import { h } from '/vendor/preact.mjs';
import { enc } from './api.js';

export const html = htm.bind(h);

export const links = {
  stream: (id) => `#/streams/${enc(id)}`,
  event: (id) => `#/events/${enc(id)}`,
  correlation: (id) => `#/correlations/${enc(id)}`,
  saga: (name, correlationId) => `#/sagas/${enc(name)}/${enc(correlationId)}`,
  deadLetters: (projection) => `#/dead-letters${projection ? `?projection=${enc(projection)}` : ''}`,
};

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** 06:13:51.812 (local time); the full timestamp is in the title. */
export function Time({ value }) {
  if (value === undefined || value === null) return html`<span class="muted">—</span>`;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return html`<span>${String(value)}</span>`;
  const text = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return html`<time datetime=${d.toISOString()} title=${d.toISOString()}>${text}</time>`;
}

export function DateTime({ value }) {
  if (value === undefined || value === null) return html`<span class="muted">—</span>`;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return html`<span>${String(value)}</span>`;
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return html`<time datetime=${d.toISOString()} title=${d.toISOString()}>${text}</time>`;
}

export function formatMs(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export const formatNumber = (n) =>
  n === undefined || n === null ? '—' : Number(n).toLocaleString('en-US', { maximumFractionDigits: 1 });

/** A value as pretty-printed JSON: a text node, never markup. */
export function Json({ value, testid, compact }) {
  const text = value === undefined ? 'undefined' : JSON.stringify(value, null, compact ? 0 : 2);
  return html`<pre class=${compact ? 'json compact' : 'json'} data-testid=${testid}>${text}</pre>`;
}

export function Badge({ value, kind }) {
  return html`<span class=${`badge badge-${kind ?? String(value).replace(/[^a-z_-]/gi, '')}`}>${String(value)}</span>`;
}

export function Mono({ children, title }) {
  return html`<span class="mono" title=${title}>${children}</span>`;
}

export function Loading({ what }) {
  return html`<p class="muted loading" data-testid="loading">Loading${what ? ` ${what}` : ''}…</p>`;
}

/** What an API error means for the person looking: a role too low, nothing there, or a failure. */
export function ErrorBox({ error, user }) {
  if (error.status === 403) {
    const needed = /needs the (\w+) role/.exec(error.message)?.[1];
    return html`<div class="notice notice-forbidden" data-testid="forbidden" role="alert">
      <strong>Your role cannot see this.</strong>
      <span>
        ${needed ? `This needs the ${needed} role` : error.message}${user ? `; you are signed in as ${user.name} (${user.role})` : ''}.
        Ask an administrator for a token with ${needed ? 'that' : 'a higher'} role.
      </span>
    </div>`;
  }
  if (error.status === 404) {
    return html`<div class="notice notice-warn" data-testid="not-found" role="alert">
      <strong>Not found.</strong> <span>${error.message}</span>
    </div>`;
  }
  return html`<div class="notice notice-error" data-testid="error" role="alert">
    <strong>${error.status ? `Error ${error.status}` : 'Error'}</strong>
    <span>${error.code ? ` ${error.code}: ` : ' '}${error.message}</span>
  </div>`;
}

/** Loading, an error, or the content of a loaded call. */
export function Loaded({ state, user, what, children }) {
  if (state.data === null && state.error !== null)
    return html`<${ErrorBox} error=${state.error} user=${user} />`;
  if (state.data === null) return html`<${Loading} what=${what} />`;
  return html`${state.error ? html`<${ErrorBox} error=${state.error} user=${user} />` : null}${children(state.data)}`;
}

export function PageHeader({ title, children, testid }) {
  return html`<header class="page-header">
    <h1 data-testid=${testid ?? 'page-title'}>${title}</h1>
    <div class="page-actions">${children}</div>
  </header>`;
}

export function Empty({ children }) {
  return html`<p class="empty muted" data-testid="empty">${children}</p>`;
}

/**
 * A modal asking for the reason of an action (every operator action is audited with one).
 * `ask(title)` resolves to the reason, or null when cancelled.
 */
export function useReason() {
  const [pending, setPending] = useState(null);
  const [reason, setReason] = useState('');
  const input = useRef(null);
  const ask = (title, detail) =>
    new Promise((resolve) => {
      setReason('');
      setPending({ title, detail, resolve });
      setTimeout(() => input.current?.focus(), 0);
    });
  const close = (value) => {
    pending?.resolve(value);
    setPending(null);
  };
  const dialog =
    pending === null
      ? null
      : html`<div class="modal-backdrop">
          <form
            class="modal"
            role="dialog"
            aria-modal="true"
            aria-labelledby="reason-title"
            data-testid="reason-dialog"
            onSubmit=${(e) => {
              e.preventDefault();
              if (reason.trim() !== '') close(reason.trim());
            }}
            onKeyDown=${(e) => e.key === 'Escape' && close(null)}
          >
            <h2 id="reason-title">${pending.title}</h2>
            ${pending.detail ? html`<p class="muted">${pending.detail}</p>` : null}
            <label for="reason-input">Reason (recorded in the audit trail)</label>
            <input
              id="reason-input"
              ref=${input}
              data-testid="reason-input"
              required
              maxlength="500"
              autocomplete="off"
              value=${reason}
              onInput=${(e) => setReason(e.currentTarget.value)}
            />
            <div class="modal-actions">
              <button type="button" class="btn" data-testid="reason-cancel" onClick=${() => close(null)}>
                Cancel
              </button>
              <button type="submit" class="btn btn-primary" data-testid="reason-submit" disabled=${reason.trim() === ''}>
                Confirm
              </button>
            </div>
          </form>
        </div>`;
  return [dialog, ask];
}
