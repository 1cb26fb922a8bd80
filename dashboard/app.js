/**
 * The Factum dashboard: Preact + htm, no build step, hash routing (#/…). The session is an HttpOnly
 * cookie set by POST /api/v1/session; the token is only ever in the login form's field.
 */

import { useEffect, useState } from '/vendor/hooks.mjs';
import { render } from '/vendor/preact.mjs';
import { api, setUnauthenticatedHandler } from './api.js';
import { CorrelationPage, EventPage, LivePage, StreamPage, StreamsPage } from './pages-data.js';
import {
  DeadLettersPage,
  MessagingPage,
  OverviewPage,
  ProjectionsPage,
  SagaPage,
  SagasPage,
} from './pages-ops.js';
import { ErrorBox, html } from './ui.js';

const NAV = [
  { path: '', label: 'Overview' },
  { path: 'streams', label: 'Streams' },
  { path: 'live', label: 'Live' },
  { path: 'projections', label: 'Projections' },
  { path: 'dead-letters', label: 'Dead letters' },
  { path: 'sagas', label: 'Sagas' },
  { path: 'messaging', label: 'Messaging' },
];

/** `#/streams/order-1?x=1` → { segments: ['streams', 'order-1'], query: { x: '1' } } */
function parseHash(hash) {
  const raw = hash.replace(/^#\/?/, '');
  const at = raw.indexOf('?');
  const path = at === -1 ? raw : raw.slice(0, at);
  const search = at === -1 ? '' : raw.slice(at + 1);
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { segments, query: Object.fromEntries(new URLSearchParams(search)) };
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

/** The page for a route, with its parameters. */
function route(segments) {
  const [first, ...rest] = segments;
  switch (first) {
    case undefined:
      return { page: OverviewPage, nav: '' };
    case 'streams':
      return rest.length === 0
        ? { page: StreamsPage, nav: 'streams' }
        : { page: StreamPage, nav: 'streams', params: [rest.join('/')] };
    case 'events':
      return rest.length === 1 ? { page: EventPage, nav: 'streams', params: rest } : undefined;
    case 'correlations':
      return rest.length === 1 ? { page: CorrelationPage, nav: 'streams', params: rest } : undefined;
    case 'live':
      return { page: LivePage, nav: 'live' };
    case 'projections':
      return { page: ProjectionsPage, nav: 'projections' };
    case 'dead-letters':
      return { page: DeadLettersPage, nav: 'dead-letters' };
    case 'sagas':
      if (rest.length === 0) return { page: SagasPage, nav: 'sagas' };
      return rest.length === 2 ? { page: SagaPage, nav: 'sagas', params: rest } : undefined;
    case 'messaging':
      return { page: MessagingPage, nav: 'messaging' };
    default:
      return undefined;
  }
}

// ---- theme ------------------------------------------------------------------------------------
const THEME_KEY = 'factum.theme';

function storedTheme() {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return t === 'light' || t === 'dark' ? t : null;
  } catch {
    return null;
  }
}

const systemDark = () => matchMedia('(prefers-color-scheme: dark)').matches;

function applyTheme(theme) {
  if (theme === null) delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

function ThemeToggle() {
  const [theme, setTheme] = useState(storedTheme());
  const [dark, setDark] = useState(systemDark());
  useEffect(() => {
    const media = matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => setDark(media.matches);
    media.addEventListener('change', onChange);
    return () => media.removeEventListener('change', onChange);
  }, []);
  const effective = theme ?? (dark ? 'dark' : 'light');
  const toggle = () => {
    const next = effective === 'dark' ? 'light' : 'dark';
    // Back to following the system when the choice equals it.
    const stored = next === (systemDark() ? 'dark' : 'light') ? null : next;
    try {
      if (stored === null) localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, stored);
    } catch {
      // storage refused (private mode): the choice lasts for this page only
    }
    applyTheme(stored);
    setTheme(stored);
  };
  return html`<button
    class="btn btn-ghost theme-toggle"
    data-testid="theme-toggle"
    title=${`Switch to the ${effective === 'dark' ? 'light' : 'dark'} theme`}
    aria-label=${`Switch to the ${effective === 'dark' ? 'light' : 'dark'} theme`}
    onClick=${toggle}
  >
    ${effective === 'dark' ? '☀' : '☾'}
  </button>`;
}

// ---- login ------------------------------------------------------------------------------------
function LoginPage({ onLogin, expired }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      const user = await api('/session', { method: 'POST', body: { token } });
      setToken('');
      onLogin(user);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<main class="login">
    <form class="login-card" data-testid="login-form" onSubmit=${submit} autocomplete="off">
      <div class="brand brand-large">Factum</div>
      <p class="muted">Sign in with an operator API token.</p>
      ${expired ? html`<div class="notice notice-warn" role="status">Your session ended. Sign in again.</div>` : null}
      <label for="token">Token</label>
      <input
        id="token"
        data-testid="login-token"
        type="password"
        autocomplete="off"
        spellcheck="false"
        required
        value=${token}
        onInput=${(e) => setToken(e.currentTarget.value)}
      />
      ${
        error
          ? error.status === 401
            ? html`<div class="notice notice-error" data-testid="login-error" role="alert">That token is not valid.</div>`
            : html`<${ErrorBox} error=${error} />`
          : null
      }
      <button class="btn btn-primary btn-block" type="submit" data-testid="login-submit" disabled=${busy || token === ''}>
        ${busy ? 'Signing in…' : 'Sign in'}
      </button>
      <div class="login-foot"><${ThemeToggle} /></div>
    </form>
  </main>`;
}

// ---- the shell --------------------------------------------------------------------------------
function Nav({ user, current, onSignOut }) {
  return html`<nav class="topnav" data-testid="nav">
    <a class="brand" href="#/">Factum</a>
    <ul class="nav-links">
      ${NAV.map(
        (n) => html`<li>
          <a
            href=${`#/${n.path}`}
            class=${current === n.path ? 'active' : ''}
            aria-current=${current === n.path ? 'page' : undefined}
            data-testid=${`nav-${n.path || 'overview'}`}
            >${n.label}</a
          >
        </li>`,
      )}
    </ul>
    <div class="nav-user">
      <span class="user" data-testid="user"
        ><span data-testid="user-name">${user.name}</span>
        <span class=${`role role-${user.role}`} data-testid="user-role">${user.role}</span></span
      >
      <${ThemeToggle} />
      <button class="btn btn-small" data-testid="sign-out" onClick=${onSignOut}>Sign out</button>
    </div>
  </nav>`;
}

function NotFound() {
  return html`<section>
    <div class="notice notice-warn" data-testid="not-found">
      <strong>No such page.</strong> <a href="#/">Back to the overview</a>
    </div>
  </section>`;
}

function App() {
  const hash = useHash();
  const [session, setSession] = useState({ state: 'checking', user: null, expired: false });
  useEffect(() => {
    setUnauthenticatedHandler(() => setSession({ state: 'out', user: null, expired: true }));
    api('/session').then(
      (user) => setSession({ state: 'in', user, expired: false }),
      () => setSession({ state: 'out', user: null, expired: false }),
    );
  }, []);
  useEffect(() => {
    document.documentElement.dataset.ready = session.state;
  }, [session.state]);

  if (session.state === 'checking') return html`<main class="boot muted">Loading…</main>`;
  if (session.state === 'out') {
    return html`<${LoginPage}
      expired=${session.expired}
      onLogin=${(user) => setSession({ state: 'in', user, expired: false })}
    />`;
  }
  const signOut = async () => {
    try {
      await api('/session', { method: 'DELETE' });
    } finally {
      setSession({ state: 'out', user: null, expired: false });
      location.hash = '#/';
    }
  };
  const { segments, query } = parseHash(hash);
  const found = route(segments);
  const Page = found?.page ?? NotFound;
  return html`<div class="shell">
    <${Nav} user=${session.user} current=${found?.nav} onSignOut=${signOut} />
    <main class="content" data-testid="content">
      <${Page} key=${hash} params=${found?.params ?? []} query=${query} user=${session.user} />
    </main>
  </div>`;
}

applyTheme(storedTheme());
render(html`<${App} />`, document.getElementById('app'));
